{{/* A ServiceAccount in the release namespace. dict: ctx, name, annotations */}}
{{- define "dapr_rbac.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .name }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- with (include "dapr.labels" .ctx | trim) }}{{ . | nindent 4 }}{{- end }}
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/*
A (Cluster)Role and its binding to the ServiceAccount of the same name, or nothing when rules
is empty and the kind is Role. dict: ctx, kind (Role|ClusterRole), name, subject, rules
*/}}
{{- define "dapr_rbac.roleWithBinding" -}}
{{- $namespaced := eq .kind "Role" }}
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}
metadata:
  name: {{ .name }}
  {{- if $namespaced }}
  namespace: {{ .namespace | default .ctx.Release.Namespace }}
  {{- end }}
  labels:
    {{- with (include "dapr.labels" .ctx | trim) }}{{ . | nindent 4 }}{{- end }}
rules:
{{- if .rules }}
{{ toYaml .rules }}
{{- else }} []
{{- end }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}Binding
metadata:
  name: {{ .bindingName | default .name }}
  {{- if $namespaced }}
  namespace: {{ .namespace | default .ctx.Release.Namespace }}
  {{- end }}
  labels:
    {{- with (include "dapr.labels" .ctx | trim) }}{{ . | nindent 4 }}{{- end }}
subjects:
  - kind: ServiceAccount
    name: {{ .subject }}
    namespace: {{ .subjectNamespace | default .ctx.Release.Namespace }}
  {{- /* The all-in-one process holds the union of the four services' permissions. */}}
  {{- if and .ctx.Values.global.allInOne.enabled (has .subject (list "dapr-sentry" "dapr-placement" "dapr-operator" "dapr-injector")) }}
  - kind: ServiceAccount
    name: dapr-control-plane
    namespace: {{ .ctx.Release.Namespace }}
  {{- end }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {{ .kind }}
  name: {{ .name }}
{{- end -}}
