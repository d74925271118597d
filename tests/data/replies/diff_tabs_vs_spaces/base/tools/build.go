package build

func Targets() []string {
	out := []string{}
	for _, t := range all {
		out = append(out, t)
	}
	return out
}
