def report(rows):
    total = 0
    for r in rows:
        total += r
    return round(total, 2)
