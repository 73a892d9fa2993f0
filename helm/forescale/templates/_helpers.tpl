{{/*
Names and labels (prometheus-community conventions: selector labels kept apart, no chart label in
selectors).
*/}}
{{- define "forescale.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "forescale.fullname" -}}
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

{{- define "forescale.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels; call with (dict "ctx" $ "component" "controller"). */}}
{{- define "forescale.selectorLabels" -}}
app.kubernetes.io/name: {{ include "forescale.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{/* All labels; call with (dict "ctx" $ "component" "controller"), component optional. */}}
{{- define "forescale.labels" -}}
helm.sh/chart: {{ include "forescale.chart" .ctx }}
{{ include "forescale.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: forescale
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "forescale.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "forescale.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The training CronJob's own ServiceAccount: it only lists PredictiveAutoscalers (and reaches
the model store through its own IRSA role), never the controller's HPA and Lease rights. */}}
{{- define "forescale.trainServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-train" (include "forescale.fullname" .)) .Values.training.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.training.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "forescale.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The port the API listens on inside the pod (settings api.port). */}}
{{- define "forescale.containerPort" -}}8080{{- end }}

{{- define "forescale.scheme" -}}
{{- ternary "https" "http" .Values.api.tls.enabled }}
{{- end }}

{{- define "forescale.dataPath" -}}/var/lib/forescale{{- end }}

{{- define "forescale.leaseName" -}}
{{- printf "%s-leader" (include "forescale.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Shard Leases `<fullname>-shard-K`: how many (controller.sharding.shards, default the
replicas; 1 is no sharding, one Lease) and their common prefix. */}}
{{- define "forescale.shards" -}}
{{- .Values.controller.sharding.shards | default .Values.controller.replicas | int }}
{{- end }}

{{- define "forescale.shardLeasePrefix" -}}
{{- printf "%s-shard" (include "forescale.fullname" .) | trunc 58 | trimSuffix "-" }}
{{- end }}

{{/*
The settings file (ForescaleSettings): `config` without empty strings (optional settings are
None, not ""), plus the fields the chart owns so that they agree with the objects it renders.
*/}}
{{- define "forescale.settings" -}}
{{- $cfg := dict }}
{{- range $key, $value := .Values.config }}
{{- if kindIs "map" $value }}
{{- $group := dict }}
{{- range $k, $v := $value }}
{{- if not (and (kindIs "string" $v) (eq $v "")) }}
{{- $_ := set $group $k $v }}
{{- end }}
{{- end }}
{{- $_ := set $cfg $key $group }}
{{- else if not (and (kindIs "string" $value) (eq $value "")) }}
{{- $_ := set $cfg $key $value }}
{{- end }}
{{- end }}
{{- $api := default (dict) (get $cfg "api") }}
{{- $_ := set $api "enabled" true }}
{{- $_ := set $api "host" "0.0.0.0" }}
{{- $_ := set $api "port" (include "forescale.containerPort" . | int) }}
{{- if .Values.api.tls.enabled }}
{{- $_ := set $api "tls_cert_file" "/etc/forescale/tls/tls.crt" }}
{{- $_ := set $api "tls_key_file" "/etc/forescale/tls/tls.key" }}
{{- end }}
{{- $_ := set $cfg "api" $api }}
{{- $kube := default (dict) (get $cfg "kubernetes") }}
{{- $_ := set $kube "enabled" true }}
{{- with .Values.watchNamespace }}
{{- $_ := set $kube "namespace" . }}
{{- end }}
{{- $_ := set $cfg "kubernetes" $kube }}
{{- $le := default (dict) (get $cfg "leader_election") }}
{{- $_ := set $le "enabled" .Values.controller.leaderElection.enabled }}
{{- $_ := set $le "namespace" .Release.Namespace }}
{{- $_ := set $le "lease_name" (include "forescale.leaseName" .) }}
{{- $_ := set $le "shards" (include "forescale.shards" . | int) }}
{{- $_ := set $le "shard_lease_prefix" (include "forescale.shardLeasePrefix" .) }}
{{- $_ := set $le "replicas" (.Values.controller.replicas | int) }}
{{- $_ := set $cfg "leader_election" $le }}
{{- if .Values.targets }}
{{- $controller := default (dict) (get $cfg "controller") }}
{{- $_ := set $controller "targets_file" "/etc/forescale/targets/targets.yaml" }}
{{- $_ := set $cfg "controller" $controller }}
{{- end }}
{{- if .Values.prometheusAuth.existingSecret }}
{{- $prometheus := default (dict) (get $cfg "prometheus") }}
{{- $_ := set $prometheus "bearer_token_file" "/etc/forescale/prometheus/token" }}
{{- $_ := set $cfg "prometheus" $prometheus }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}

{{/* "true" when a URL carries a password: user:password@ or a (ssl)password query parameter. */}}
{{- define "forescale.hasPassword" -}}
{{- if or (regexMatch "^[a-zA-Z0-9+.-]+://[^/@:?#]*:[^/@?#]*@" .) (regexMatch "(?i)[?&](ssl)?(password|passwd|pwd)=" .) }}true{{- end }}
{{- end }}

{{/* Refuse combinations that would deploy but misbehave, with a message saying what to set. */}}
{{- define "forescale.validate" -}}
{{- $replicas := int .Values.controller.replicas }}
{{- $storeUrl := .Values.config.store.url | default "" }}
{{- $modelsUrl := .Values.config.store.models_url | default "" }}
{{- $data := include "forescale.dataPath" . }}
{{- if and (gt $replicas 1) (not .Values.controller.leaderElection.enabled) }}
{{- fail "controller.replicas > 1 needs controller.leaderElection.enabled=true: without a Lease every replica would write floors" }}
{{- end }}
{{- $shards := include "forescale.shards" . | int }}
{{- if and (gt $shards 1) (not .Values.controller.leaderElection.enabled) }}
{{- fail "controller.sharding.shards > 1 needs controller.leaderElection.enabled=true: each shard is a Lease" }}
{{- end }}
{{- if and (gt $replicas 1) (hasPrefix "sqlite" $storeUrl) (not .Values.store.existingSecret) }}
{{- fail "controller.replicas > 1 needs a shared record store: put a PostgreSQL URL in store.existingSecret (SQLite is one file on one volume)" }}
{{- end }}
{{- if include "forescale.hasPassword" $storeUrl }}
{{- fail "config.store.url holds a password and would be stored in a ConfigMap: put the URL in a Secret and set store.existingSecret" }}
{{- end }}
{{- if include "forescale.hasPassword" (.Values.config.prometheus.url | default "") }}
{{- fail "config.prometheus.url holds a password and would be stored in a ConfigMap: give Prometheus a bearer token in prometheusAuth.existingSecret" }}
{{- end }}
{{- if include "forescale.hasPassword" (.Values.config.aws.endpoint_url | default "") }}
{{- fail "config.aws.endpoint_url holds a password and would be stored in a ConfigMap: AWS credentials come from IRSA (serviceAccount.annotations)" }}
{{- end }}
{{- if and (.Values.config.api).trusted_proxy_header (not (and .Values.networkPolicy.enabled .Values.networkPolicy.ingressFrom)) }}
{{- fail "config.api.trusted_proxy_header lets anyone who can reach the pod claim a role by sending that header: set networkPolicy.enabled=true and list only the authenticating proxy (and your scrapers) in networkPolicy.ingressFrom" }}
{{- end }}
{{- if and (hasPrefix "sqlite" $storeUrl) (not (hasPrefix (printf "sqlite:///%s/" $data) $storeUrl)) }}
{{- fail (printf "config.store.url %s: the root filesystem is read-only; keep SQLite under %s, e.g. sqlite:///%s/forescale.db" $storeUrl $data $data) }}
{{- end }}
{{- if and $modelsUrl (not (hasPrefix "s3://" $modelsUrl)) (not (hasPrefix (printf "%s/" $data) $modelsUrl)) }}
{{- fail (printf "config.store.models_url %s: the root filesystem is read-only; use a directory under %s/ or s3://bucket/prefix" $modelsUrl $data) }}
{{- end }}
{{- if .Values.training.enabled }}
{{- if not $modelsUrl }}
{{- fail "training.enabled needs config.store.models_url (s3://bucket/prefix, or a directory on a ReadWriteMany volume): the controller cannot see models trained into another pod's memory" }}
{{- end }}
{{- if and (not (hasPrefix "s3://" $modelsUrl)) (not .Values.persistence.existingClaim) (not (and .Values.persistence.enabled (has "ReadWriteMany" .Values.persistence.accessModes))) }}
{{- fail "training.enabled with a directory model store needs persistence.enabled with accessModes [ReadWriteMany] (or persistence.existingClaim): the CronJob pod must reach the controller's volume; or use s3://" }}
{{- end }}
{{- if and .Values.training.dask.address (not (hasPrefix "s3://" $modelsUrl)) }}
{{- fail "training.dask.address needs an s3:// config.store.models_url: the Dask workers write the model store, and this chart's volume is not mounted in them" }}
{{- end }}
{{- end }}
{{- $shutdown := .Values.config.controller.shutdown_seconds | default 20 | float64 }}
{{- if lt (float64 .Values.controller.terminationGracePeriodSeconds) (addf $shutdown 5) }}
{{- fail (printf "controller.terminationGracePeriodSeconds (%v) must leave 5 s beyond config.controller.shutdown_seconds (%v) to release the Lease and stop the API: the kubelet would kill the pod with floors still raised" .Values.controller.terminationGracePeriodSeconds $shutdown) }}
{{- end }}
{{- if and .Values.api.tls.enabled (not .Values.api.tls.secretName) }}
{{- fail "api.tls.enabled needs api.tls.secretName: a kubernetes.io/tls Secret (tls.crt, tls.key)" }}
{{- end }}
{{- if and .Values.sentry.enabled (not .Values.sentry.existingSecret) }}
{{- fail "sentry.enabled needs sentry.existingSecret: a Secret holding the DSN (never the DSN in values)" }}
{{- end }}
{{- end }}

{{/* Environment shared by the controller and the training pods. */}}
{{- define "forescale.env" -}}
- name: FORESCALE_CONFIG
  value: /etc/forescale/config/config.yaml
{{- with .Values.store.existingSecret }}
- name: FORESCALE_STORE__URL
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.store.existingSecretKey }}
{{- end }}
{{- if .Values.sentry.enabled }}
- name: SENTRY_DSN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.sentry.existingSecret }}
      key: {{ .Values.sentry.existingSecretKey }}
- name: SENTRY_RELEASE
  value: {{ printf "forescale@%s" .Chart.AppVersion | quote }}
{{- with .Values.sentry.environment }}
- name: SENTRY_ENVIRONMENT
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Volumes shared by the controller and the training pods. */}}
{{- define "forescale.volumes" -}}
- name: config
  configMap:
    name: {{ include "forescale.fullname" . }}-config
{{- if .Values.targets }}
- name: targets
  configMap:
    name: {{ include "forescale.fullname" . }}-targets
{{- end }}
{{- with .Values.prometheusAuth.existingSecret }}
- name: prometheus-token
  secret:
    secretName: {{ . }}
    defaultMode: 0440
    items:
      - key: {{ $.Values.prometheusAuth.existingSecretKey }}
        path: token
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 512Mi
- name: data
{{- if .Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-data" (include "forescale.fullname" .)) .Values.persistence.existingClaim }}
{{- else }}
  emptyDir:
    sizeLimit: 1Gi
{{- end }}
{{- end }}

{{- define "forescale.volumeMounts" -}}
- name: config
  mountPath: /etc/forescale/config
  readOnly: true
{{- if .Values.targets }}
- name: targets
  mountPath: /etc/forescale/targets
  readOnly: true
{{- end }}
{{- if .Values.prometheusAuth.existingSecret }}
- name: prometheus-token
  mountPath: /etc/forescale/prometheus
  readOnly: true
{{- end }}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: {{ include "forescale.dataPath" . }}
{{- end }}

{{/* Checksums that roll the pods when their configuration changes. */}}
{{- define "forescale.configChecksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/targets: {{ include (print .Template.BasePath "/configmap-targets.yaml") . | sha256sum }}
{{- end }}

{{/* Label selector of Forescale's own series in alert expressions. */}}
{{- define "forescale.alertSelector" -}}
{{- default (printf "job=%q,namespace=%q" (printf "%s-api" (include "forescale.fullname" .)) .Release.Namespace) .Values.prometheusRule.selector }}
{{- end }}
