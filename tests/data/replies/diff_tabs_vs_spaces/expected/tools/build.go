package build

func Targets() []string {
	out := []string{}
	for _, t := range all {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}
