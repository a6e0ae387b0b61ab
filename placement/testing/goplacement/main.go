// goplacement answers, with dapr v1.18.3's own Go packages, the questions the TypeScript
// placement's tests ask of "the real thing": who owns an actor on daprd's ring, what a
// PlacementOrder we encoded means to daprd's generated protobuf types, and what bytes daprd's
// types produce for a Host. One JSON request on stdin, one JSON answer on stdout.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/dapr/dapr/pkg/placement/hashing"
	placementv1 "github.com/dapr/dapr/pkg/proto/placement/v1"
	"google.golang.org/protobuf/proto"
)

type ringRequest struct {
	Hosts []string `json:"hosts"`
	RF    int64    `json:"rf"`
	IDs   []string `json:"ids"`
}

type hostRequest struct {
	Name      string   `json:"name"`
	Port      int64    `json:"port"`
	Entities  []string `json:"entities"`
	ID        string   `json:"id"`
	APILevel  uint32   `json:"apiLevel"`
	Namespace string   `json:"namespace"`
	Operation int32    `json:"operation"`
	Version   *uint64  `json:"version"`
}

type stateTable struct {
	Hosts   []hostRequest `json:"hosts"`
	Version uint64        `json:"version"`
}

type request struct {
	State map[string]stateTable `json:"state"`
	Ring  *ringRequest          `json:"ring"`
	Order []byte                `json:"order"`
	IDs   []string              `json:"ids"`
	Host  *hostRequest          `json:"host"`
}

type orderAnswer struct {
	Operation         string                       `json:"operation"`
	Version           uint64                       `json:"version"`
	HasTables         bool                         `json:"hasTables"`
	TablesVersion     string                       `json:"tablesVersion"`
	ReplicationFactor int64                        `json:"replicationFactor"`
	LoadMaps          map[string]map[string]string `json:"loadMaps"`
	Owners            map[string][]string          `json:"owners"`
}

// ring builds a ring the way daprd does on UPDATE: from a load_map, through the vnode cache.
func ring(loadMap map[string]*hashing.Host, rf int64) *hashing.Consistent {
	return hashing.NewFromExisting(loadMap, rf, hashing.NewVirtualNodesCache())
}

func owners(c *hashing.Consistent, ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		h, err := c.Get(id)
		if err != nil {
			h = "error: " + err.Error()
		}
		out = append(out, h)
	}
	return out
}

func answer(req request) (any, error) {
	switch {
	case req.State != nil:
		tables := &placementv1.StatePlacementTables{Tables: map[string]*placementv1.StatePlacementTable{}}
		for ns, t := range req.State {
			st := &placementv1.StatePlacementTable{Version: t.Version}
			for i := range t.Hosts {
				st.Hosts = append(st.Hosts, hostMessage(&t.Hosts[i]))
			}
			tables.Tables[ns] = st
		}
		b, err := json.Marshal(tables)
		if err != nil {
			return nil, err
		}
		return map[string]any{"json": string(b)}, nil
	case req.Ring != nil:
		lm := map[string]*hashing.Host{}
		for _, h := range req.Ring.Hosts {
			lm[h] = hashing.NewHost(h, h, 0, 0)
		}
		return map[string]any{"owners": owners(ring(lm, req.Ring.RF), req.Ring.IDs)}, nil
	case req.Order != nil:
		var o placementv1.PlacementOrder
		if err := proto.Unmarshal(req.Order, &o); err != nil {
			return nil, err
		}
		a := orderAnswer{Operation: o.GetOperation(), Version: o.GetVersion(), HasTables: o.GetTables() != nil,
			LoadMaps: map[string]map[string]string{}, Owners: map[string][]string{}}
		if t := o.GetTables(); t != nil {
			a.TablesVersion = t.GetVersion()
			a.ReplicationFactor = t.GetReplicationFactor()
			for typ, table := range t.GetEntries() {
				lm := map[string]*hashing.Host{}
				names := map[string]string{}
				for key, h := range table.GetLoadMap() {
					lm[key] = hashing.NewHost(h.GetName(), h.GetId(), h.GetLoad(), h.GetPort())
					names[key] = h.GetName() + "|" + h.GetId()
				}
				a.LoadMaps[typ] = names
				a.Owners[typ] = owners(ring(lm, t.GetReplicationFactor()), req.IDs)
			}
		}
		return a, nil
	case req.Host != nil:
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(hostMessage(req.Host))
		if err != nil {
			return nil, err
		}
		return map[string]any{"bytes": b}, nil
	}
	return nil, fmt.Errorf("empty request")
}

func hostMessage(h *hostRequest) *placementv1.Host {
	return &placementv1.Host{Name: h.Name, Port: h.Port, Entities: h.Entities, Id: h.ID, ApiLevel: h.APILevel,
		Namespace: h.Namespace, Operation: placementv1.HostOperation(h.Operation), Version: h.Version}
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	a, err := answer(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(a)
}
