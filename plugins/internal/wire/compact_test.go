package wire

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	pb "github.com/revsync/revsync/plugins/proto/connector/v1"
)

// listConnector emits fixed records.
type listConnector struct{ records []connectors.Record }

func (listConnector) Spec() connectors.Spec                          { return connectors.Spec{Type: "list"} }
func (listConnector) Check(context.Context, connectors.Config) error { return nil }
func (listConnector) Discover(context.Context, connectors.Config) ([]connectors.Stream, error) {
	return nil, nil
}
func (l listConnector) Read(ctx context.Context, _ connectors.Config, _ connectors.State, emit connectors.Emitter) error {
	for _, r := range l.records {
		if err := emit.Record(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func testRecords(n int) []connectors.Record {
	var out []connectors.Record
	for i := range n {
		out = append(out, connectors.Record{Entity: canonical.Customers,
			Fields:     map[string]string{"external_id": fmt.Sprint("c", i), "name": "N", "email": ""},
			Attributes: canonical.Attributes{"i": int64(i)}, Raw: "raw", Origin: "o", Deleted: i%7 == 0})
		out = append(out, connectors.Record{Entity: canonical.Plans, Fields: map[string]string{"external_id": fmt.Sprint("p", i), "interval_unit": "month"}})
	}
	return out
}

// An old host that does not accept CompactBatch gets RecordBatch; a new one gets
// CompactBatch; both decode to the same records.
func TestRead_CompactOnlyWhenTheHostAcceptsIt(t *testing.T) {
	want := testRecords(700) // more than one batch
	rpc := startServer(t, listConnector{want})
	for _, accept := range [][]pb.Capability{nil, {pb.Capability_CAPABILITY_COMPACT_BATCH}} {
		t.Run(fmt.Sprint(accept), func(t *testing.T) {
			stream, err := rpc.Read(context.Background(), &pb.ReadRequest{Config: &pb.Config{Source: "s"}, Accept: accept})
			require.NoError(t, err)
			var got []connectors.Record
			for {
				msg, err := stream.Recv()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				switch m := msg.GetMessage().(type) {
				case *pb.ReadResponse_Records:
					require.Empty(t, accept, "RecordBatch only for hosts without compact support")
					for _, pr := range m.Records.GetRecords() {
						r, err := RecordFromProto(pr)
						require.NoError(t, err)
						got = append(got, r)
					}
				case *pb.ReadResponse_CompactRecords:
					require.NotEmpty(t, accept, "CompactBatch only when accepted")
					rs, err := CompactRecordsFromProto(m.CompactRecords)
					require.NoError(t, err)
					got = append(got, rs...)
				}
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestCompactRecordsFromProto_BadIndexesAreErrors(t *testing.T) {
	_, err := CompactRecordsFromProto(&pb.CompactBatch{Names: []string{"customers"}, Records: []*pb.CompactRecord{{Entity: 3}}})
	assert.ErrorContains(t, err, "out of range")
	_, err = CompactRecordsFromProto(&pb.CompactBatch{Names: []string{"customers"}, Records: []*pb.CompactRecord{{FieldNames: []uint32{0}}}})
	assert.ErrorContains(t, err, "1 field names but 0 values")
}
