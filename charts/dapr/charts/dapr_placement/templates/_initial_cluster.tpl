{{/* The raft peers: dapr-placement-server-<i>=<pod>.<headless service>.<ns>.svc<dnsSuffix>:<raft port>, three of them. */}}
{{- define "dapr_placement.initialCluster" -}}
{{- $peers := list }}
{{- range $i := until 3 }}
{{- $peers = append $peers (printf "dapr-placement-server-%d=dapr-placement-server-%d.dapr-placement-server.%s.svc%s:%v" $i $i $.Release.Namespace $.Values.global.dnsSuffix $.Values.ports.raftRPCPort) }}
{{- end }}
{{- join "," $peers }}
{{- end -}}
