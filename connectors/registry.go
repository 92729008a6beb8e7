package connectors

import (
	"fmt"
	"slices"
	"sync"
)

// Registry maps source types to connectors. Built-in connectors register into Default
// from init(); tests and embedders build isolated registries with NewRegistry.
type Registry struct {
	mu         sync.RWMutex
	connectors map[string]Connector
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{connectors: map[string]Connector{}} }

// Default is the registry the built-in connectors register into.
var Default = NewRegistry()

// Register adds c under c.Spec().Type. Registering a type twice is a programming error
// and panics.
func (r *Registry) Register(c Connector) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := c.Spec().Type
	if _, dup := r.connectors[t]; dup {
		panic(fmt.Sprintf("connectors: type %q registered twice", t))
	}
	r.connectors[t] = c
}

// Lookup returns the connector of a source type.
func (r *Registry) Lookup(typ string) (Connector, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.connectors[typ]
	return c, ok
}

// Types lists the registered types, sorted.
func (r *Registry) Types() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	types := make([]string, 0, len(r.connectors))
	for t := range r.connectors {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// Register adds c to the Default registry.
func Register(c Connector) { Default.Register(c) }
