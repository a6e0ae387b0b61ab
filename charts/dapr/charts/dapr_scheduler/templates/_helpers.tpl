{{/* The embedded etcd's peers: one per replica, by its stable name under the headless Service. */}}
{{- define "dapr_scheduler.initialCluster" -}}
{{- $peers := list }}
{{- range $i := until (int $.Values.replicaCount) }}
{{- $peers = append $peers (printf "dapr-scheduler-server-%d=https://dapr-scheduler-server-%d.dapr-scheduler-server.%s.svc%s:%v" $i $i $.Release.Namespace $.Values.global.dnsSuffix $.Values.ports.etcdGRPCPeerPort) }}
{{- end }}
{{- join "," $peers }}
{{- end -}}

{{/*
The claim size. A StatefulSet's claim templates cannot change, so on upgrade the size of the
live StatefulSet wins over the value.
*/}}
{{- define "dapr_scheduler.storageSize" -}}
{{- $size := .Values.cluster.storageSize }}
{{- $live := lookup "apps/v1" "StatefulSet" .Release.Namespace "dapr-scheduler-server" }}
{{- if $live }}
{{- range $live.spec.volumeClaimTemplates }}
{{- if eq .metadata.name "dapr-scheduler-data-dir" }}
{{- $size = .spec.resources.requests.storage }}
{{- end }}
{{- end }}
{{- end }}
{{- $size }}
{{- end -}}
