package connectors

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type namedConnector struct {
	Connector
	typ string
}

func (c namedConnector) Spec() Spec { return Spec{Type: c.typ} }

func TestRegistry_IsolatedInstancesListAndLookUp(t *testing.T) {
	r := NewRegistry()
	r.Register(namedConnector{typ: "stripe"})
	r.Register(namedConnector{typ: "csv"})
	assert.Equal(t, []string{"csv", "stripe"}, r.Types())
	c, ok := r.Lookup("csv")
	require.True(t, ok)
	assert.Equal(t, "csv", c.Spec().Type)
	_, ok = r.Lookup("paddle")
	assert.False(t, ok)
	_, ok = NewRegistry().Lookup("csv")
	assert.False(t, ok, "a new registry shares nothing with another")
	assert.PanicsWithValue(t, `connectors: type "csv" registered twice`, func() { r.Register(namedConnector{typ: "csv"}) })
}

func TestKindOf_FindsTheKindThroughWrapping(t *testing.T) {
	tests := []struct {
		err  error
		want ErrorKind
	}{
		{errors.New("boom"), KindSystem},
		{ConfigError(errors.New("bad key")), KindConfig},
		{fmt.Errorf("source stripe: %w", TransientError(context.DeadlineExceeded)), KindTransient},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, KindOf(tc.err), tc.err.Error())
	}
	err := fmt.Errorf("reading: %w", TransientError(context.DeadlineExceeded))
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the cause stays reachable")
	assert.Equal(t, "transient", KindTransient.String())
	assert.Equal(t, "config", KindConfig.String())
	assert.Equal(t, "system", KindSystem.String())
}
