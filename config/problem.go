package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong in a config file, located for people.
type Problem struct {
	File    string
	Line    int
	Key     string // dotted path, e.g. sources[1].path
	Message string // what is wrong and how to fix it
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Key == "" {
		return loc + ": " + p.Message
	}
	return fmt.Sprintf("%s: %s: %s", loc, p.Key, p.Message)
}

// Problems is every problem found in a config; it is the error Load returns.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
