package sdk

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWatchParent_CallsGoneWhenTheParentChanges(t *testing.T) {
	gone := make(chan struct{})
	go watchParent(os.Getppid()+1, func() { close(gone) }) // a parent we do not have: as if re-parented
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the watchdog did not notice the parent change")
	}
}

func TestWatchParent_IgnoresInitAsParent(t *testing.T) {
	done := make(chan struct{})
	go func() { watchParent(1, func() { t.Error("gone called") }); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("watchParent(1) should return at once")
	}
}

func TestStderrHandler_WritesHCLogJSON(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stderr := os.Stderr
	os.Stderr = w
	slog.New(NewStderrHandler(slog.LevelInfo)).Warn("rate limited", "retry_in", "2s")
	os.Stderr = stderr
	require.NoError(t, w.Close())
	var buf bytes.Buffer
	_, err = buf.ReadFrom(r)
	require.NoError(t, err)

	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	assert.Equal(t, "warn", line["@level"])
	assert.Equal(t, "rate limited", line["@message"])
	assert.Equal(t, "2s", line["retry_in"])
	_, err = time.Parse("2006-01-02T15:04:05.000000Z07:00", line["@timestamp"].(string))
	assert.NoError(t, err, "the timestamp layout go-plugin parses")
}
