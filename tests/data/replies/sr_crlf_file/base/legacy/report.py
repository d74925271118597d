def report(rows):
    total = 0
    for r in rows:
        total += r
    return total
