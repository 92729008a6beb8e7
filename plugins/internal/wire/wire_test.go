package wire

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
)

func TestValue_RoundTrip(t *testing.T) {
	ts := time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.UTC)
	tests := []struct {
		name    string
		in, out any
	}{
		{"string", "gold", "gold"},
		{"empty string", "", ""},
		{"bool", true, true},
		{"int", 42, int64(42)},
		{"int32", int32(-7), int64(-7)},
		{"int64 max", int64(1<<63 - 1), int64(1<<63 - 1)},
		{"uint32", uint32(7), int64(7)},
		{"float64", 8.5, 8.5},
		{"decimal", decimal.RequireFromString("1234.5600"), decimal.RequireFromString("1234.5600")},
		{"json number", json.Number("0.15"), decimal.RequireFromString("0.15")},
		{"time", ts, ts},
		{"time in a zone becomes UTC", ts.In(time.FixedZone("x", 3600)), ts},
		{"nil", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pv, err := ValueToProto(tc.in)
			require.NoError(t, err)
			got, err := ValueFromProto(pv)
			require.NoError(t, err)
			if d, ok := tc.out.(decimal.Decimal); ok {
				require.IsType(t, decimal.Decimal{}, got)
				assert.True(t, d.Equal(got.(decimal.Decimal)), "%v != %v", d, got)
				assert.Equal(t, d.String(), got.(decimal.Decimal).String())
				return
			}
			assert.Equal(t, tc.out, got)
		})
	}
}

func TestValue_NonScalarsAreRefused(t *testing.T) {
	for _, v := range []any{[]string{"a"}, map[string]any{}, uint64(1 << 63), struct{}{}, json.Number("1,5")} {
		_, err := ValueToProto(v)
		assert.Error(t, err, "%T", v)
	}
}

func TestRecord_RoundTripAndBadAttributeNamesTheRecord(t *testing.T) {
	in := connectors.Record{Entity: canonical.Customers, Fields: map[string]string{"external_id": "c1", "name": "A"},
		Attributes: canonical.Attributes{"seats": int64(3)}, Raw: "{}", Origin: "x line 1", Deleted: true}
	pr, err := RecordToProto(in)
	require.NoError(t, err)
	out, err := RecordFromProto(pr)
	require.NoError(t, err)
	assert.Equal(t, in, out)

	_, err = RecordToProto(connectors.Record{Entity: canonical.Customers, Fields: map[string]string{"external_id": "c9"},
		Attributes: canonical.Attributes{"tags": []string{"a"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `customers record "c9": attribute "tags"`)
}

func TestError_KindSurvives(t *testing.T) {
	for _, err := range []error{
		connectors.ConfigError(errors.New("bad key")),
		connectors.TransientError(errors.New("503")),
		errors.New("boom"),
	} {
		back := ErrorFromProto(ErrorToProto(err))
		assert.Equal(t, connectors.KindOf(err), connectors.KindOf(back))
		assert.Equal(t, err.Error(), back.Error())
	}
	assert.Nil(t, ErrorFromProto(ErrorToProto(nil)))
}

func TestDecodeSettings_StrictByYAMLTags(t *testing.T) {
	type settings struct {
		Dir   string `yaml:"dir"`
		Pages int    `yaml:"max_pages"`
	}
	m, err := decodeJSONObject([]byte(`{"dir":"x","max_pages":9007199254740993}`))
	require.NoError(t, err)
	var s settings
	require.NoError(t, DecodeSettings(m, &s))
	assert.Equal(t, settings{Dir: "x", Pages: 9007199254740993}, s, "integers stay exact")

	m, err = decodeJSONObject([]byte(`{"dri":"x"}`))
	require.NoError(t, err)
	err = DecodeSettings(m, &settings{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dri")

	m, err = decodeJSONObject(nil)
	require.NoError(t, err)
	require.NoError(t, DecodeSettings(m, &settings{}))
}
