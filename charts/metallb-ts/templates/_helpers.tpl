{{/* Name prefix of every object: the release name, cut to fit Kubernetes names. */}}
{{- define "metallb-ts.fullname" -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{- define "metallb-ts.labels" -}}
app.kubernetes.io/name: metallb-ts
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- /* Label values allow no "+": the chart's own version carries build metadata, and Flux's
     Revision strategy gives git charts <version>+<commit>. */}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" | trimSuffix "_" | trimSuffix "." }}
{{- end -}}

{{/* Selector labels of one component (controller or speaker): stable across upgrades. */}}
{{- define "metallb-ts.selector" -}}
app.kubernetes.io/name: metallb-ts
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* registry/repository:tag, or registry/repository@digest when a digest pins the image. */}}
{{- define "metallb-ts.image" -}}
{{- $prefix := ternary "" (printf "%s/" .root.Values.image.registry) (empty .root.Values.image.registry) -}}
{{- if .image.digest -}}
{{- printf "%s%s@%s" $prefix .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s%s:%s" $prefix .image.repository .image.tag -}}
{{- end -}}
{{- end -}}

{{- define "metallb-ts.heartbeatSecret" -}}
{{- .Values.heartbeat.existingSecret | default (printf "%s-heartbeat" (include "metallb-ts.fullname" .)) -}}
{{- end -}}

{{/* Pod placement shared by both workloads. */}}
{{- define "metallb-ts.placement" -}}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .root.Values.image.pullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
