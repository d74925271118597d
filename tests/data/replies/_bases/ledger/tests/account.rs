use ledger::account::Account;

#[test]
fn deposit_then_withdraw() {
    let a = Account::new("alice");
    a.deposit(100);
    a.withdraw(30).unwrap();
    assert_eq!(a.balance(), 70);
}
