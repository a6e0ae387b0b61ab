{{/*
Helpers shared by the dapr chart and its subcharts (named templates are global in Helm).
Each takes the subchart's root context unless it says otherwise.
*/}}

{{/* Metadata labels of every object: global.k8sLabels, each value rendered as a template. */}}
{{- define "dapr.labels" -}}
{{- range $key, $value := .Values.global.k8sLabels }}
{{ $key }}: {{ tpl (toString $value) $ | quote }}
{{- end }}
{{- end -}}

{{/* Pod labels: the selector label app=<name> first, then the chart's labels and global.labels. dict: ctx, app */}}
{{- define "dapr.podLabels" -}}
app: {{ .app }}
{{- include "dapr.labels" .ctx }}
{{- with .ctx.Values.global.labels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Prometheus scrape annotations, when metrics are on. */}}
{{- define "dapr.prometheusAnnotations" -}}
{{- if .Values.global.prometheus.enabled }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.global.prometheus.port | quote }}
prometheus.io/path: "/"
{{- end }}
{{- end -}}

{{/*
An image reference. A name containing "/" is a full reference and used as is; otherwise
<global.registry>/<name>:<global.tag>. dict: ctx, name
*/}}
{{- define "dapr.image" -}}
{{- if contains "/" .name -}}
{{ .name }}
{{- else -}}
{{ .ctx.Values.global.registry }}/{{ .name }}:{{ .ctx.Values.global.tag }}
{{- end -}}
{{- end -}}

{{/* imagePullSecrets from a string, a list of strings or a list of {name}. */}}
{{- define "dapr.imagePullSecrets" -}}
{{- $secrets := .Values.global.imagePullSecrets }}
{{- if $secrets }}
imagePullSecrets:
{{- if kindIs "string" $secrets }}
  - name: {{ $secrets }}
{{- else }}
{{- range $secrets }}
{{- if kindIs "string" . }}
  - name: {{ . }}
{{- else }}
  - name: {{ .name }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The sentry address control-plane services dial. */}}
{{- define "dapr.sentryAddress" -}}
{{- if .Values.global.mtls.sentryAddress -}}
{{ .Values.global.mtls.sentryAddress }}
{{- else -}}
dapr-sentry.{{ .Release.Namespace }}.svc.cluster.local:443
{{- end -}}
{{- end -}}

{{/* The metrics flags every service takes. */}}
{{- define "dapr.metricsArgs" -}}
{{- if .Values.global.prometheus.enabled }}
- "--enable-metrics"
- "--metrics-port"
- {{ .Values.global.prometheus.port | quote }}
{{- else }}
- "--enable-metrics=false"
{{- end }}
{{- end -}}

{{/*
The container securityContext of a control-plane container (linux only): non-root, no
privilege escalation, read-only root filesystem, no capabilities, the seccomp profile.
dict: ctx, runAsNonRoot, debug
*/}}
{{- define "dapr.containerSecurityContext" -}}
{{- if eq .ctx.Values.global.daprControlPlaneOs "linux" }}
securityContext:
  runAsNonRoot: {{ .runAsNonRoot }}
  {{- if and (not .runAsNonRoot) (not .ctx.Values.global.platformAssignsUserIds) }}
  runAsUser: 1000
  {{- end }}
  allowPrivilegeEscalation: false
  {{- if .debug }}
  capabilities:
    add: ["SYS_PTRACE"]
  {{- else }}
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
  {{- end }}
  {{- with .ctx.Values.global.seccompProfile }}
  seccompProfile:
    type: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* A pod-level securityContext with fsGroup, unless the platform assigns ids. dict: ctx, fsGroup */}}
{{- define "dapr.podSecurityContext" -}}
{{- if and .fsGroup (eq .ctx.Values.global.daprControlPlaneOs "linux") (not .ctx.Values.global.platformAssignsUserIds) }}
securityContext:
  fsGroup: {{ .fsGroup }}
{{- end }}
{{- end -}}

{{/* /healthz probes on the given port, with the component's probe values. dict: ctx, port */}}
{{- define "dapr.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
  initialDelaySeconds: {{ .ctx.Values.livenessProbe.initialDelaySeconds }}
  periodSeconds: {{ .ctx.Values.livenessProbe.periodSeconds }}
  failureThreshold: {{ .ctx.Values.livenessProbe.failureThreshold }}
readinessProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
  initialDelaySeconds: {{ .ctx.Values.readinessProbe.initialDelaySeconds }}
  periodSeconds: {{ .ctx.Values.readinessProbe.periodSeconds }}
  failureThreshold: {{ .ctx.Values.readinessProbe.failureThreshold }}
{{- end -}}

{{/* Mounts of the trust anchors and the sentry token, and the component's extra mounts. dict: ctx, component */}}
{{- define "dapr.identityMounts" -}}
- name: dapr-trust-bundle
  mountPath: /var/run/secrets/dapr.io/tls
  readOnly: true
{{- if .ctx.Values.global.mtls.mountSentryVolume }}
- name: dapr-identity-token
  mountPath: /var/run/secrets/dapr.io/sentrytoken
  readOnly: true
{{- end }}
{{- with (index .ctx.Values.global.extraVolumeMounts .component) }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes for dapr.identityMounts: the trust-bundle ConfigMap and a projected token for sentry. dict: ctx, component */}}
{{- define "dapr.identityVolumes" -}}
- name: dapr-trust-bundle
  configMap:
    name: dapr-trust-bundle
{{- if .ctx.Values.global.mtls.mountSentryVolume }}
- name: dapr-identity-token
  projected:
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: 600
          audience: "spiffe://{{ .ctx.Values.global.mtls.controlPlaneTrustDomain }}/ns/{{ .ctx.Release.Namespace }}/dapr-sentry"
{{- end }}
{{- with (index .ctx.Values.global.extraVolumes .component) }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The component's extra containers (after the main one) as list items. dict: ctx, component */}}
{{- define "dapr.extraContainers" -}}
{{- with (index .ctx.Values.global.extraContainers .component) }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* initContainers of the component, if any. dict: ctx, component */}}
{{- define "dapr.initContainers" -}}
{{- with (index .ctx.Values.global.initContainers .component) }}
initContainers:
{{ toYaml . | indent 2 }}
{{- end }}
{{- end -}}

{{/* extraEnvVars (a name → value map) as env entries. */}}
{{- define "dapr.extraEnv" -}}
{{- range $name, $value := .Values.extraEnvVars }}
- name: {{ $name | quote }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* podAntiAffinityPolicy must be one of the two Kubernetes field names. */}}
{{- define "dapr.validatePodAntiAffinityPolicy" -}}
{{- $p := .Values.global.ha.podAntiAffinityPolicy }}
{{- if not (has $p (list "preferredDuringSchedulingIgnoredDuringExecution" "requiredDuringSchedulingIgnoredDuringExecution")) }}
{{- fail (printf "global.ha.podAntiAffinityPolicy must be preferredDuringSchedulingIgnoredDuringExecution or requiredDuringSchedulingIgnoredDuringExecution, not %q" $p) }}
{{- end }}
{{- end -}}

{{/*
Scheduling of a control-plane pod: OS/arch node affinity, anti-affinity between replicas,
node selector (global merged with the component's), tolerations (both), priority class (the
component's, else global) and pull secrets. A component's own `affinity` replaces the generated
one.
antiAffinity: "" (none), "preferred" (HA of stateless services) or "policy" (follow
global.ha.podAntiAffinityPolicy). dict: ctx, app, antiAffinity
*/}}
{{- define "dapr.podScheduling" -}}
{{- $v := .ctx.Values }}
{{- include "dapr.validatePodAntiAffinityPolicy" .ctx }}
{{- if $v.affinity }}
affinity:
  {{- toYaml $v.affinity | nindent 2 }}
{{- else }}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions:
            - key: kubernetes.io/os
              operator: In
              values: [{{ $v.global.daprControlPlaneOs | quote }}]
            {{- with $v.global.daprControlPlaneArch }}
            - key: kubernetes.io/arch
              operator: In
              values: [{{ . | quote }}]
            {{- end }}
  {{- $term := dict "labelSelector" (dict "matchExpressions" (list (dict "key" "app" "operator" "In" "values" (list .app)))) "topologyKey" $v.global.ha.topologyKey }}
  {{- if or (eq .antiAffinity "preferred") (and (eq .antiAffinity "policy") (eq $v.global.ha.podAntiAffinityPolicy "preferredDuringSchedulingIgnoredDuringExecution")) }}
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          {{- toYaml $term | nindent 10 }}
  {{- else if eq .antiAffinity "policy" }}
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - {{- toYaml $term | nindent 8 }}
  {{- end }}
{{- end }}
{{- $nodeSelector := merge (dict) ($v.nodeSelector | default dict) ($v.global.nodeSelector | default dict) }}
{{- with $nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- $tolerations := concat ($v.global.tolerations | default list) ($v.tolerations | default list) }}
{{- with $tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with ($v.priorityClassName | default $v.global.priorityClassName) }}
priorityClassName: {{ . }}
{{- end }}
{{- include "dapr.imagePullSecrets" .ctx }}
{{- end -}}

{{/* Replicas of a stateless control-plane Deployment: global.ha.replicaCount in HA, else its own. */}}
{{- define "dapr.replicas" -}}
{{- if .Values.global.ha.enabled }}{{ .Values.global.ha.replicaCount }}{{ else }}{{ .Values.replicaCount }}{{ end }}
{{- end -}}

{{/* A PodDisruptionBudget for app=<name>, with global.ha.disruption. dict: ctx, name, app */}}
{{- define "dapr.podDisruptionBudget" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    app: {{ .app }}
    {{- with (include "dapr.labels" .ctx | trim) }}{{ . | nindent 4 }}{{- end }}
spec:
  {{- if .ctx.Values.global.ha.disruption.minimumAvailable }}
  minAvailable: {{ .ctx.Values.global.ha.disruption.minimumAvailable }}
  {{- else }}
  maxUnavailable: {{ .ctx.Values.global.ha.disruption.maximumUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      app: {{ .app }}
{{- end -}}

{{/*
The `app` label a control-plane Service selects: the service's own workload, or with
global.allInOne.enabled the one all-in-one StatefulSet (docs/all-in-one.md). dict: ctx, app
*/}}
{{- define "dapr.selectorApp" -}}
{{- if .ctx.Values.global.allInOne.enabled -}}
dapr-control-plane
{{- else -}}
{{ .app }}
{{- end -}}
{{- end -}}
