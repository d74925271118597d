//! Roles and the permissions they grant.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    ReadProfile,
    ChangeOwnPassword,
    IssueApiTokens,
    ManageUsers,
    ReadAudit,
}

const VIEWER: &[Permission] = &[Permission::ReadProfile, Permission::ChangeOwnPassword];
const EDITOR: &[Permission] = &[
    Permission::ReadProfile,
    Permission::ChangeOwnPassword,
    Permission::IssueApiTokens,
];
const ADMIN: &[Permission] = &[
    Permission::ReadProfile,
    Permission::ChangeOwnPassword,
    Permission::IssueApiTokens,
    Permission::ManageUsers,
    Permission::ReadAudit,
];

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Role::Viewer => VIEWER,
            Role::Editor => EDITOR,
            Role::Admin => ADMIN,
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ReadProfile => "profile:read",
            Permission::ChangeOwnPassword => "password:change",
            Permission::IssueApiTokens => "tokens:issue",
            Permission::ManageUsers => "users:manage",
            Permission::ReadAudit => "audit:read",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_has_every_permission() {
        for p in [
            Permission::ReadProfile,
            Permission::ChangeOwnPassword,
            Permission::IssueApiTokens,
            Permission::ManageUsers,
            Permission::ReadAudit,
        ] {
            assert!(Role::Admin.allows(p), "{}", p.as_str());
        }
    }

    #[test]
    fn viewer_cannot_issue_tokens_or_manage_users() {
        assert!(Role::Viewer.allows(Permission::ReadProfile));
        assert!(!Role::Viewer.allows(Permission::IssueApiTokens));
        assert!(!Role::Editor.allows(Permission::ManageUsers));
    }

    #[test]
    fn parse_roundtrips() {
        for role in [Role::Viewer, Role::Editor, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse(" ADMIN "), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }
}
