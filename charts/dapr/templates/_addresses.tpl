{{/*
Addresses (service:port) of the actors and reminders services the injector hands to daprd.
Only placement and scheduler exist in this chart; any other name fails the render.
*/}}
{{- define "dapr.address.ofService" -}}
{{- if eq . "placement" -}}
dapr-placement-server:50005
{{- else if eq . "scheduler" -}}
dapr-scheduler-server:50006
{{- else -}}
{{- fail (printf "unknown service %q: actors and reminders can be served by placement or scheduler" .) -}}
{{- end -}}
{{- end -}}

{{- define "dapr.address.actors" -}}
{{ include "dapr.address.ofService" .Values.global.actors.serviceName }}
{{- end -}}

{{- define "dapr.address.reminders" -}}
{{ include "dapr.address.ofService" .Values.global.reminders.serviceName }}
{{- end -}}
