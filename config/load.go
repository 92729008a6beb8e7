package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/revsync/revsync/connectors"
)

// Load reads, interpolates, decodes and validates a config file. Source settings are
// decoded into the typed settings of the connector that reg registers for their type.
// On failure the error is Problems, listing everything wrong at once.
func Load(path string, reg *connectors.Registry) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Problems{{File: path, Message: fmt.Sprintf("cannot read the config file: %v (create it, or pass --config FILE)", errors.Unwrap(err))}}
	}
	return Parse(path, data, reg)
}

// Parse is Load for config text already in memory; path names it in problems.
func Parse(path string, data []byte, reg *connectors.Registry) (*Config, error) {
	l := &loader{file: path, reg: reg}
	cfg := &Config{File: path, Dir: filepath.Dir(path)}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Problems{l.yamlProblem(err)}
	}
	if len(root.Content) == 0 {
		return nil, Problems{{File: path, Message: "the config is empty (it needs at least a `sources:` list)"}}
	}
	doc := root.Content[0]
	l.interpolate(doc)
	if doc.Kind != yaml.MappingNode {
		l.add(doc.Line, "", "the config must be a mapping of keys such as warehouse:, metrics:, sources:")
		return nil, l.problems
	}
	l.checkKeys(doc, reflect.TypeFor[Config](), "")
	l.decode(doc, cfg)
	if sources := mappingValue(doc, "sources"); sources != nil {
		l.decodeSources(sources, cfg)
	}
	cfg.applyDefaults()
	l.validate(cfg, doc)
	if len(l.problems) > 0 {
		return nil, l.problems
	}
	return cfg, nil
}

type loader struct {
	file     string
	reg      *connectors.Registry
	problems Problems
}

func (l *loader) add(line int, key, msg string) {
	l.problems = append(l.problems, Problem{File: l.file, Line: line, Key: key, Message: msg})
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func (l *loader) yamlProblem(err error) Problem {
	msg := err.Error()
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return Problem{File: l.file, Line: line, Message: m[2] + " (check indentation and quoting)"}
	}
	return Problem{File: l.file, Message: msg}
}

var envRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// interpolate replaces ${VAR} in scalar values (never in keys) with the environment's
// value; a missing variable is a problem at its line.
func (l *loader) interpolate(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		if !strings.Contains(n.Value, "${") {
			return
		}
		n.Value = envRE.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := envRE.FindStringSubmatch(ref)[1]
			v, ok := os.LookupEnv(name)
			if !ok {
				l.add(n.Line, "", fmt.Sprintf("environment variable %s is not set (export it, or put the value in the file)", name))
			}
			return v
		})
		if n.Tag == "!!null" || n.Tag == "" {
			n.Tag = "!!str"
		}
		return
	}
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue
		}
		l.interpolate(c)
	}
}

// checkKeys reports every mapping key that the Go type t does not declare.
func (l *loader) checkKeys(n *yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Tag != "!!null" {
				l.add(n.Line, path, "must be a mapping of keys (valid: "+strings.Join(yamlKeys(t), ", ")+")")
			}
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := joinKey(path, k.Value)
			f, ok := fieldByYAML(t, k.Value)
			if !ok {
				l.add(k.Line, key, unknownKey(k.Value, yamlKeys(t)))
				continue
			}
			if t == reflect.TypeFor[Config]() && k.Value == "sources" {
				continue // checked against each connector's settings in decodeSources
			}
			l.checkKeys(v, f.Type, key)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Tag != "!!null" {
				l.add(n.Line, path, "must be a list")
			}
			return
		}
		for i, item := range n.Content {
			l.checkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				l.checkKeys(n.Content[i+1], t.Elem(), joinKey(path, n.Content[i].Value))
			}
		}
	}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func fieldByYAML(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == key && name != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

func unknownKey(key string, valid []string) string {
	msg := fmt.Sprintf("unknown key %q (valid: %s)", key, strings.Join(valid, ", "))
	best, bestDist := "", 3
	for _, v := range valid {
		if d := editDistance(key, v); d < bestDist {
			best, bestDist = v, d
		}
	}
	if best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	}
	return msg
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// decode fills dst from n; type errors become problems with their lines.
func (l *loader) decode(n *yaml.Node, dst any) {
	err := n.Decode(dst)
	var te *yaml.TypeError
	switch {
	case errors.As(err, &te):
		for _, e := range te.Errors {
			if strings.Contains(e, "not found in type") {
				continue // already reported by checkKeys, with valid keys
			}
			p := l.yamlProblem(errors.New(e))
			p.Message = strings.TrimSuffix(p.Message, " (check indentation and quoting)") + " (check the value's type)"
			l.problems = append(l.problems, p)
		}
	case err != nil:
		l.problems = append(l.problems, l.yamlProblem(err))
	}
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// decodeSources decodes each source block: name and type here, the rest strictly into
// the connector's typed settings.
func (l *loader) decodeSources(n *yaml.Node, cfg *Config) {
	if n.Kind != yaml.SequenceNode {
		if n.Tag != "!!null" {
			l.add(n.Line, "sources", "must be a list of sources, each with name: and type:")
		}
		return
	}
	cfg.Sources = nil
	for i, item := range n.Content {
		path := fmt.Sprintf("sources[%d]", i)
		if item.Kind != yaml.MappingNode {
			l.add(item.Line, path, "must be a mapping with name:, type: and the source's settings")
			continue
		}
		src := Source{Line: item.Line}
		rest := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: item.Line, Column: item.Column}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, v := item.Content[j], item.Content[j+1]
			switch k.Value {
			case "name":
				src.Name = v.Value
			case "type":
				src.Type = v.Value
			default:
				rest.Content = append(rest.Content, k, v)
			}
		}
		l.decodeSettings(&src, rest, path)
		cfg.Sources = append(cfg.Sources, src)
	}
}

func (l *loader) decodeSettings(src *Source, rest *yaml.Node, path string) {
	if src.Type == "" {
		l.add(src.Line, path+".type", "is missing (available types: "+strings.Join(l.reg.Types(), ", ")+")")
		return
	}
	conn, ok := l.reg.Lookup(src.Type)
	if !ok {
		l.add(src.Line, path+".type", fmt.Sprintf("source type %q is not available in this build (available: %s)", src.Type, strings.Join(l.reg.Types(), ", ")))
		return
	}
	spec := conn.Spec()
	if spec.NewSettings == nil {
		settings := map[string]any{}
		l.decode(rest, &settings)
		src.Settings = settings
		return
	}
	settings := spec.NewSettings()
	before := len(l.problems)
	l.checkKeys(rest, reflect.TypeOf(settings), path)
	for i := before; i < len(l.problems); i++ {
		if strings.HasPrefix(l.problems[i].Message, "unknown key") {
			l.problems[i].Message = strings.Replace(l.problems[i].Message, "(valid: ", "(valid: name, type, ", 1)
		}
	}
	l.decode(rest, settings)
	src.Settings = settings
	if v, ok := settings.(connectors.Validator); ok {
		for _, p := range v.Validate() {
			line := src.Line
			if kn := keyNode(rest, p.Key); kn != nil {
				line = kn.Line
			}
			l.add(line, joinKey(path, p.Key), p.Message)
		}
	}
}

// keyNode finds the node of a dotted path such as sources[1].path inside a mapping, for
// line numbers: the key node for a key, the item node for an index.
func keyNode(n *yaml.Node, dotted string) *yaml.Node {
	var found *yaml.Node
	for _, part := range strings.Split(dotted, ".") {
		name, index, hasIndex := strings.Cut(part, "[")
		if n == nil || n.Kind != yaml.MappingNode {
			return found
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				found, next = n.Content[i], n.Content[i+1]
			}
		}
		if next != nil && hasIndex && next.Kind == yaml.SequenceNode {
			var i int
			fmt.Sscan(strings.TrimSuffix(index, "]"), &i)
			if i >= 0 && i < len(next.Content) {
				found, next = next.Content[i], next.Content[i]
			}
		}
		if next == nil {
			return found
		}
		n = next
	}
	return found
}

// lineOf returns the line of the key at a dotted path from the document root, or 0.
func lineOf(doc *yaml.Node, dotted string) int {
	if kn := keyNode(doc, dotted); kn != nil {
		return kn.Line
	}
	return 0
}
