def load_a(path):
    with open(path) as f:
        data = f.read()
    return data


def load_b(path):
    with open(path) as f:
        data = f.read()
    return data
