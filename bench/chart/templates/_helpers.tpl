{{/*
Names and labels shared by the chart's templates.
*/}}

{{/* The chart's name: db-backup unless nameOverride says otherwise. */}}
{{- define "db-backup.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of the release's objects (CronJob prefix, ConfigMap, secret, service
account): db-backup for a release named db-backup.
*/}}
{{- define "db-backup.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The pod's service account: serviceAccount.name, else the chart's own when it creates one. */}}
{{- define "db-backup.serviceAccountName" -}}
{{- $sa := .Values.serviceAccount | default dict }}
{{- if or (not (hasKey $sa "create")) $sa.create }}
{{- default (include "db-backup.fullname" .) $sa.name }}
{{- else }}
{{- default "default" $sa.name }}
{{- end }}
{{- end }}

{{/* Labels of the job and pod templates. Context: dict root, job, arch. */}}
{{- define "db-backup.selectorLabels" -}}
app: {{ include "db-backup.name" .root }}
app.kubernetes.io/name: {{ include "db-backup.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/arch: {{ .arch }}
app.kubernetes.io/component: {{ .job }}
{{- end }}

{{/* Labels of the CronJob. Context: dict root, job, arch. */}}
{{- define "db-backup.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app: {{ include "db-backup.name" .root }}
app.kubernetes.io/name: {{ include "db-backup.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/arch: {{ .arch }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/component: {{ .job }}
{{- end }}

{{/*
One operation's container. Context: dict root, job (its values), op,
index, environment, host, dbms, image, resources. As GOV.UK's chart does,
it prints the host, the database, the bucket, the database user and the
script without quotes (a missing bucket or database prints as null): envsync
accepts only values that print safely so.
*/}}
{{- define "db-backup.container" -}}
{{- $root := .root }}
{{- $job := .job }}
{{- $op := .op -}}
- name: {{ printf "%d-%s" .index $op.op | quote }}
  image: {{ .image | quote }}
  command:
    - {{ printf "/opt/bin/backup-%s" .dbms | quote }}
  args:
    - {{ $op.op | quote }}
    {{- with $op.script }}
    - {{ . }}
    {{- end }}
  env:
    - name: GOVUK_ENVIRONMENT
      value: {{ .environment | quote }}
    - name: DB_HOST
      value: {{ .host }}
    - name: DB_DATABASE
      value: {{ $op.db | default $job.db }}
    - name: BUCKET
      value: {{ $op.bucket }}
    - name: PROMETHEUS_PUSHGATEWAY_URL
      valueFrom:
        configMapKeyRef:
          name: govuk-apps-env
          key: PROMETHEUS_PUSHGATEWAY_URL
    {{- if eq .dbms "mongo" }}
    - name: DB_MONGO_CONNECTION_STRING
      valueFrom:
        secretKeyRef:
          name: {{ printf "%s-passwd" (include "db-backup.fullname" $root) }}
          key: {{ .host }}
    {{- else }}
    - name: DB_USER
      value: {{ $job.dbUser | default "aws_db_admin" }}
    - name: DB_PASSWORD
      valueFrom:
        secretKeyRef:
          name: {{ printf "%s-passwd" (include "db-backup.fullname" $root) }}
          key: {{ .host }}
    {{- end }}
    {{- with concat ($root.Values.extraEnv | default list) ($job.extraEnv | default list) ($op.extraEnv | default list) }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumeMounts:
    - name: scripts
      mountPath: /opt/bin
      readOnly: true
    - name: tmp
      mountPath: /tmp
{{- end }}
