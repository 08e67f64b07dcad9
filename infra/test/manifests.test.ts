/**
 * Validates the deployment files under infra/ without a container engine or a cluster: every YAML parses; each
 * Kubernetes manifest decodes with a compact Effect Schema of its kind and the manifests agree with each other
 * (references, selectors, the kustomization); docker-compose.yml, the Prometheus and OpenTelemetry configs, the
 * Grafana provisioning and dashboard, and the Dockerfiles agree with the compose services and the repository.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, ParseResult, Schema } from "effect"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseAllDocuments } from "yaml"
import { v8Flags } from "../../apps/node/src/Launcher.js"

const infraDir = fileURLToPath(new URL("..", import.meta.url))
const repoDir = resolve(infraDir, "..")
const k8sDir = join(infraDir, "k8s")

// --- Loading ------------------------------------------------------------------------------------------------------

const yamlFilesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : yamlFilesUnder(path)
    return /\.ya?ml$/.test(entry.name) ? [path] : []
  }).sort()

interface Parsed {
  readonly documents: ReadonlyArray<unknown>
  readonly problems: ReadonlyArray<string>
}

/** Every non-empty document of a YAML stream, or the parser's errors and warnings. Merge keys (`<<`) allowed. */
const parseYaml = (text: string): Parsed => {
  const documents = parseAllDocuments(text, { merge: true, uniqueKeys: true })
  if (!Array.isArray(documents)) return { documents: [], problems: [] }
  const problems = documents.flatMap((doc) => [...doc.errors, ...doc.warnings].map((issue) => issue.message))
  const values = documents.map((doc) => doc.toJS({ maxAliasCount: 100 }) as unknown).filter((v) => v !== null)
  return { documents: values, problems }
}

const loadYaml = (path: string): ReadonlyArray<unknown> => {
  const parsed = parseYaml(readFileSync(path, "utf8"))
  if (parsed.problems.length > 0) throw new Error(`${relative(repoDir, path)}: ${parsed.problems.join("; ")}`)
  return parsed.documents
}

const loadOne = (path: string): unknown => {
  const [document, ...rest] = loadYaml(path)
  if (document === undefined || rest.length > 0) throw new Error(`${relative(repoDir, path)}: expected one document`)
  return document
}

const decodeOrThrow = <A, I>(schema: Schema.Schema<A, I>, value: unknown, what: string): A =>
  Either.getOrElse(
    Schema.decodeUnknownEither(schema)(value, { errors: "all" }).pipe(
      Either.mapLeft((error) => ParseResult.TreeFormatter.formatErrorSync(error))
    ),
    (message) => {
      throw new Error(`${what}: ${message}`)
    }
  )

// --- Kubernetes schemas -------------------------------------------------------------------------------------------

// Identifiers keep the decoding errors short: a failure names the schema instead of spelling it out.
const Dns1123 = Schema.String.pipe(Schema.pattern(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/), Schema.maxLength(63))
  .annotations({ identifier: "Dns1123Label" })
const PortName = Schema.String.pipe(Schema.pattern(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/), Schema.maxLength(15))
  .annotations({ identifier: "PortName" })
const PortNumber = Schema.Int.pipe(Schema.between(1, 65535)).annotations({ identifier: "PortNumber" })
const PortRef = Schema.Union(PortNumber, PortName)
const EnvName = Schema.String.pipe(Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]*$/)).annotations({ identifier: "EnvName" })
const Count = Schema.Int.pipe(Schema.greaterThanOrEqualTo(0)).annotations({ identifier: "Count" })
const Labels = Schema.Record({ key: Schema.String, value: Schema.String }).annotations({ identifier: "Labels" })
const NonEmptyLabels = Labels.pipe(Schema.filter((labels) => Object.keys(labels).length > 0 || "must not be empty"))
const Quantity = Schema.Union(
  Schema.String.pipe(Schema.pattern(/^\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/)),
  Schema.Number
).annotations({ identifier: "Quantity" })

const ObjectMeta = Schema.Struct({
  name: Dns1123,
  namespace: Dns1123,
  labels: Schema.optional(Labels),
  annotations: Schema.optional(Labels)
})
const ClusterObjectMeta = Schema.Struct({ name: Dns1123, labels: Schema.optional(Labels) })

const Probe = Schema.Struct({
  httpGet: Schema.Struct({ path: Schema.String.pipe(Schema.startsWith("/")), port: PortRef }),
  initialDelaySeconds: Schema.optional(Count),
  periodSeconds: Schema.optional(Count),
  timeoutSeconds: Schema.optional(Count),
  failureThreshold: Schema.optional(Count)
}).annotations({ identifier: "Probe" })
type Probe = typeof Probe.Type

const Resources = Schema.Struct({
  requests: Schema.Struct({ cpu: Quantity, memory: Quantity }),
  limits: Schema.Struct({ cpu: Schema.optional(Quantity), memory: Quantity })
}).annotations({ identifier: "Resources" })

const KeyRef = Schema.Struct({ name: Dns1123, key: Schema.NonEmptyString, optional: Schema.optional(Schema.Boolean) })
const EnvVar = Schema.Union(
  Schema.Struct({ name: EnvName, value: Schema.String }),
  Schema.Struct({
    name: EnvName,
    valueFrom: Schema.Union(
      Schema.Struct({ configMapKeyRef: KeyRef }),
      Schema.Struct({ secretKeyRef: KeyRef }),
      Schema.Struct({ fieldRef: Schema.Struct({ fieldPath: Schema.NonEmptyString }) })
    )
  })
).annotations({ identifier: "EnvVar" })
type EnvVar = typeof EnvVar.Type
const NameRef = Schema.Struct({ name: Dns1123, optional: Schema.optional(Schema.Boolean) })
const EnvFrom = Schema.Struct({ configMapRef: Schema.optional(NameRef), secretRef: Schema.optional(NameRef) }).pipe(
  Schema.filter((from) => (from.configMapRef === undefined) !== (from.secretRef === undefined) || "one ref per entry")
)
type EnvFrom = typeof EnvFrom.Type

const ContainerSecurityContext = Schema.Struct({
  runAsNonRoot: Schema.optional(Schema.Literal(true)),
  allowPrivilegeEscalation: Schema.Literal(false),
  readOnlyRootFilesystem: Schema.Literal(true),
  capabilities: Schema.Struct({
    drop: Schema.Array(Schema.String).pipe(Schema.filter((drop) => drop.includes("ALL") || "must drop ALL"))
  })
}).annotations({ identifier: "ContainerSecurityContext" })
const ContainerPort = Schema.Struct({
  name: PortName,
  containerPort: PortNumber,
  protocol: Schema.optional(Schema.Literal("TCP", "UDP"))
})
const VolumeMount = Schema.Struct({ name: Dns1123, mountPath: Schema.String.pipe(Schema.startsWith("/")) })

const containerFields = {
  name: Dns1123,
  image: Schema.NonEmptyString,
  command: Schema.optional(Schema.Array(Schema.String)),
  env: Schema.optional(Schema.Array(EnvVar)),
  envFrom: Schema.optional(Schema.Array(EnvFrom)),
  resources: Resources,
  securityContext: ContainerSecurityContext,
  volumeMounts: Schema.optional(Schema.Array(VolumeMount))
}

const uniqueEnv = (container: { readonly env?: ReadonlyArray<EnvVar> | undefined }) => {
  const names = (container.env ?? []).map((env) => env.name)
  return new Set(names).size === names.length || "env names must be unique"
}

/** A long-running container: ports, readiness and liveness probes on declared ports. */
const ServerContainer = Schema.Struct({
  ...containerFields,
  ports: Schema.NonEmptyArray(ContainerPort),
  readinessProbe: Probe,
  livenessProbe: Probe,
  startupProbe: Schema.optional(Probe)
}).pipe(
  Schema.filter(uniqueEnv),
  Schema.filter((container) => {
    const probes: Array<Probe> = [container.readinessProbe, container.livenessProbe]
    if (container.startupProbe !== undefined) probes.push(container.startupProbe)
    const missing = probes.map((probe) => probe.httpGet.port).filter((port) =>
      !container.ports.some((p) => p.name === port || p.containerPort === port)
    )
    return missing.length === 0 || `probe port ${missing.join(", ")} is not a container port`
  })
).annotations({ identifier: "ServerContainer" })
const JobContainer = Schema.Struct(containerFields).pipe(Schema.filter(uniqueEnv)).annotations({
  identifier: "JobContainer"
})

const PodSecurityContext = Schema.Struct({
  runAsNonRoot: Schema.Literal(true),
  runAsUser: Schema.optional(Schema.Int.pipe(Schema.greaterThan(0))),
  runAsGroup: Schema.optional(Schema.Int.pipe(Schema.greaterThan(0))),
  fsGroup: Schema.optional(Schema.Int)
}).annotations({ identifier: "PodSecurityContext" })
const Volume = Schema.Struct({ name: Dns1123 })

const podSpec = <
  C extends { readonly name: string; readonly volumeMounts?: ReadonlyArray<{ readonly name: string }> | undefined },
  I
>(
  container: Schema.Schema<C, I>,
  extra: { readonly restartPolicy?: Schema.Schema<"Never" | "OnFailure"> } = {}
) =>
  Schema.Struct({
    containers: Schema.NonEmptyArray(container),
    terminationGracePeriodSeconds: Schema.optional(Count),
    securityContext: PodSecurityContext,
    volumes: Schema.optional(Schema.Array(Volume)),
    restartPolicy: extra.restartPolicy ?? Schema.optional(Schema.Literal("Always"))
  }).pipe(
    Schema.filter((spec) => {
      const names = spec.containers.map((c) => c.name)
      if (new Set(names).size !== names.length) return "container names must be unique"
      const volumes = new Set((spec.volumes ?? []).map((v) => v.name))
      const unknown = spec.containers.flatMap((c) => c.volumeMounts ?? []).filter((m) => !volumes.has(m.name))
      return unknown.length === 0 || `volumeMounts without a volume: ${unknown.map((m) => m.name).join(", ")}`
    })
  )

const LabelSelector = Schema.Struct({ matchLabels: NonEmptyLabels })

/** Whether every label the selector asks for is on the template. */
const selects = (selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>> | undefined) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels?.[key] === value)

const selectorMatchesTemplate = (spec: {
  readonly selector: { readonly matchLabels: Readonly<Record<string, string>> }
  readonly template: { readonly metadata: { readonly labels: Readonly<Record<string, string>> } }
}) =>
  selects(spec.selector.matchLabels, spec.template.metadata.labels) ||
  "spec.selector.matchLabels must match spec.template.metadata.labels"

const serverTemplate = Schema.Struct({
  metadata: Schema.Struct({ labels: NonEmptyLabels }),
  spec: podSpec(ServerContainer)
})

export const Deployment = Schema.Struct({
  apiVersion: Schema.Literal("apps/v1"),
  kind: Schema.Literal("Deployment"),
  metadata: ObjectMeta,
  spec: Schema.Struct({
    replicas: Schema.optional(Count),
    selector: LabelSelector,
    template: serverTemplate
  }).pipe(Schema.filter(selectorMatchesTemplate))
}).annotations({ identifier: "Deployment" })

export const StatefulSet = Schema.Struct({
  apiVersion: Schema.Literal("apps/v1"),
  kind: Schema.Literal("StatefulSet"),
  metadata: ObjectMeta,
  spec: Schema.Struct({
    serviceName: Dns1123,
    replicas: Schema.optional(Count),
    podManagementPolicy: Schema.optional(Schema.Literal("OrderedReady", "Parallel")),
    selector: LabelSelector,
    template: serverTemplate
  }).pipe(Schema.filter(selectorMatchesTemplate))
}).annotations({ identifier: "StatefulSet" })

export const Service = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Service"),
  metadata: ObjectMeta,
  spec: Schema.Struct({
    type: Schema.optional(Schema.Literal("ClusterIP", "NodePort", "LoadBalancer")),
    clusterIP: Schema.optional(Schema.String),
    selector: NonEmptyLabels,
    ports: Schema.NonEmptyArray(Schema.Struct({
      name: PortName,
      port: PortNumber,
      targetPort: Schema.optional(PortRef),
      protocol: Schema.optional(Schema.Literal("TCP", "UDP"))
    }))
  })
}).annotations({ identifier: "Service" })

export const HorizontalPodAutoscaler = Schema.Struct({
  apiVersion: Schema.Literal("autoscaling/v2"),
  kind: Schema.Literal("HorizontalPodAutoscaler"),
  metadata: ObjectMeta,
  spec: Schema.Struct({
    scaleTargetRef: Schema.Struct({
      apiVersion: Schema.Literal("apps/v1"),
      kind: Schema.Literal("Deployment", "StatefulSet"),
      name: Dns1123
    }),
    minReplicas: Schema.optional(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))),
    maxReplicas: Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)),
    metrics: Schema.NonEmptyArray(Schema.Struct({
      type: Schema.Literal("Resource"),
      resource: Schema.Struct({
        name: Schema.Literal("cpu", "memory"),
        target: Schema.Struct({
          type: Schema.Literal("Utilization"),
          averageUtilization: Schema.Int.pipe(Schema.between(1, 100))
        })
      })
    }))
  }).pipe(Schema.filter((spec) => (spec.minReplicas ?? 1) <= spec.maxReplicas || "minReplicas > maxReplicas"))
}).annotations({ identifier: "HorizontalPodAutoscaler" })

export const Job = Schema.Struct({
  apiVersion: Schema.Literal("batch/v1"),
  kind: Schema.Literal("Job"),
  metadata: ObjectMeta,
  spec: Schema.Struct({
    backoffLimit: Schema.optional(Count),
    activeDeadlineSeconds: Schema.optional(Count),
    ttlSecondsAfterFinished: Schema.optional(Count),
    template: Schema.Struct({
      metadata: Schema.optional(Schema.Struct({ labels: Schema.optional(Labels) })),
      spec: podSpec(JobContainer, { restartPolicy: Schema.Literal("Never", "OnFailure") })
    })
  })
}).annotations({ identifier: "Job" })

const DataKey = Schema.String.pipe(Schema.pattern(/^[-._a-zA-Z0-9]+$/))

export const ConfigMap = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("ConfigMap"),
  metadata: ObjectMeta,
  data: Schema.Record({ key: DataKey, value: Schema.String })
}).annotations({ identifier: "ConfigMap" })

export const Secret = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Secret"),
  metadata: ObjectMeta,
  type: Schema.optional(Schema.Literal("Opaque")),
  stringData: Schema.optional(Schema.Record({ key: DataKey, value: Schema.String })),
  data: Schema.optional(
    Schema.Record({ key: DataKey, value: Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9+/]*=*$/)) })
  )
}).pipe(Schema.filter((secret) => secret.stringData !== undefined || secret.data !== undefined || "no data"))
  .annotations({ identifier: "Secret" })

export const Namespace = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Namespace"),
  metadata: ClusterObjectMeta
}).annotations({ identifier: "Namespace" })

export const PodDisruptionBudget = Schema.Struct({
  apiVersion: Schema.Literal("policy/v1"),
  kind: Schema.Literal("PodDisruptionBudget"),
  metadata: ObjectMeta,
  spec: Schema.Struct({
    selector: LabelSelector,
    minAvailable: Schema.optional(Schema.Union(Count, Schema.String.pipe(Schema.pattern(/^\d+%$/)))),
    maxUnavailable: Schema.optional(Schema.Union(Count, Schema.String.pipe(Schema.pattern(/^\d+%$/))))
  }).pipe(
    Schema.filter((spec) =>
      (spec.minAvailable === undefined) !== (spec.maxUnavailable === undefined) ||
      "exactly one of minAvailable and maxUnavailable"
    )
  )
}).annotations({ identifier: "PodDisruptionBudget" })

export const Kustomization = Schema.Struct({
  apiVersion: Schema.Literal("kustomize.config.k8s.io/v1beta1"),
  kind: Schema.Literal("Kustomization"),
  namespace: Schema.optional(Dns1123),
  resources: Schema.NonEmptyArray(Schema.NonEmptyString),
  images: Schema.optional(Schema.Array(Schema.Struct({
    name: Schema.NonEmptyString,
    newName: Schema.optional(Schema.NonEmptyString),
    newTag: Schema.optional(Schema.NonEmptyString)
  })))
})
type Kustomization = typeof Kustomization.Type

/** A manifest of one of the kinds Mirage deploys. */
type Manifest =
  | typeof Deployment.Type
  | typeof StatefulSet.Type
  | typeof Service.Type
  | typeof HorizontalPodAutoscaler.Type
  | typeof Job.Type
  | typeof ConfigMap.Type
  | typeof Secret.Type
  | typeof Namespace.Type
  | typeof PodDisruptionBudget.Type
type Workload = Extract<Manifest, { readonly kind: "Deployment" | "StatefulSet" | "Job" }>

const decoder =
  <A extends Manifest, I>(schema: Schema.Schema<A, I>) => (value: unknown): Either.Either<Manifest, string> =>
    Schema.decodeUnknownEither(schema)(value, { errors: "all" }).pipe(
      Either.mapLeft((error) => ParseResult.TreeFormatter.formatErrorSync(error))
    )

// The schema of each kind; a manifest is decoded with the one its `kind` names, so errors speak of that kind only.
const decoders: Readonly<Record<string, (value: unknown) => Either.Either<Manifest, string>>> = {
  Deployment: decoder(Deployment),
  StatefulSet: decoder(StatefulSet),
  Service: decoder(Service),
  HorizontalPodAutoscaler: decoder(HorizontalPodAutoscaler),
  Job: decoder(Job),
  ConfigMap: decoder(ConfigMap),
  Secret: decoder(Secret),
  Namespace: decoder(Namespace),
  PodDisruptionBudget: decoder(PodDisruptionBudget)
}

/** A manifest decoded with the schema of its kind, or why not. */
export const decodeManifest = (value: unknown): Either.Either<Manifest, string> => {
  const kind = typeof value === "object" && value !== null && "kind" in value ? value.kind : undefined
  const decode = typeof kind === "string" && Object.hasOwn(decoders, kind) ? decoders[kind] : undefined
  return decode === undefined ? Either.left(`unsupported kind ${String(kind)}`) : decode(value)
}

// --- Kubernetes cross-checks --------------------------------------------------------------------------------------

interface ContainerLike {
  readonly name: string
  readonly env?: ReadonlyArray<EnvVar> | undefined
  readonly envFrom?: ReadonlyArray<EnvFrom> | undefined
  readonly ports?: ReadonlyArray<{ readonly name: string; readonly containerPort: number }> | undefined
}

const isWorkload = (m: Manifest): m is Workload =>
  m.kind === "Deployment" || m.kind === "StatefulSet" || m.kind === "Job"
const containersOf = (w: Workload): ReadonlyArray<ContainerLike> => w.spec.template.spec.containers
const templateLabels = (w: Workload) => w.spec.template.metadata?.labels
const id = (m: { readonly kind: string; readonly metadata: { readonly name: string } }) =>
  `${m.kind}/${m.metadata.name}`

const secretKeys = (secret: typeof Secret.Type) =>
  new Set([...Object.keys(secret.stringData ?? {}), ...Object.keys(secret.data ?? {})])

/** What is wrong across a set of decoded manifests: references, selectors, namespaces; empty when consistent. */
export const crossCheck = (manifests: ReadonlyArray<Manifest>): Array<string> => {
  const problems: Array<string> = []
  const named = <K extends Manifest["kind"]>(kind: K, name: string) =>
    manifests.find((m): m is Extract<Manifest, { readonly kind: K }> => m.kind === kind && m.metadata.name === name)

  const ids = manifests.map(id)
  for (const duplicate of new Set(ids.filter((x, i) => ids.indexOf(x) !== i))) {
    problems.push(`${duplicate} is defined twice`)
  }

  const namespaces = manifests.filter((m) => m.kind === "Namespace").map((m) => m.metadata.name)
  for (const m of manifests) {
    if (m.kind !== "Namespace" && !namespaces.includes(m.metadata.namespace)) {
      problems.push(`${id(m)}: namespace ${m.metadata.namespace} is not defined`)
    }
  }

  const workloads = manifests.filter(isWorkload)
  for (const workload of workloads) {
    for (const container of containersOf(workload)) {
      const where = `${id(workload)} container ${container.name}`
      for (const env of container.env ?? []) {
        if (!("valueFrom" in env)) continue
        const source = env.valueFrom
        if ("configMapKeyRef" in source) {
          const ref = source.configMapKeyRef
          const configMap = named("ConfigMap", ref.name)
          if (configMap === undefined) {
            problems.push(`${where}: env ${env.name} refers to missing ConfigMap ${ref.name}`)
          } else if (!(ref.key in configMap.data) && ref.optional !== true) {
            problems.push(`${where}: env ${env.name} refers to missing key ${ref.key} of ConfigMap ${ref.name}`)
          }
        } else if ("secretKeyRef" in source) {
          const ref = source.secretKeyRef
          const secret = named("Secret", ref.name)
          if (secret === undefined) problems.push(`${where}: env ${env.name} refers to missing Secret ${ref.name}`)
          else if (!secretKeys(secret).has(ref.key) && ref.optional !== true) {
            problems.push(`${where}: env ${env.name} refers to missing key ${ref.key} of Secret ${ref.name}`)
          }
        }
      }
      for (const from of container.envFrom ?? []) {
        if (from.configMapRef !== undefined && named("ConfigMap", from.configMapRef.name) === undefined) {
          problems.push(`${where}: envFrom refers to missing ConfigMap ${from.configMapRef.name}`)
        }
        if (from.secretRef !== undefined && named("Secret", from.secretRef.name) === undefined) {
          problems.push(`${where}: envFrom refers to missing Secret ${from.secretRef.name}`)
        }
      }
    }
  }

  const selected = (selector: Readonly<Record<string, string>>) =>
    workloads.filter((w) => w.kind !== "Job" && selects(selector, templateLabels(w)))

  for (const service of manifests) {
    if (service.kind !== "Service") continue
    const targets = selected(service.spec.selector)
    if (targets.length === 0) problems.push(`${id(service)}: selector matches no Deployment or StatefulSet`)
    for (const port of service.spec.ports) {
      const target = port.targetPort ?? port.port
      for (const workload of targets) {
        const declared = containersOf(workload).flatMap((c) => c.ports ?? [])
        if (!declared.some((p) => p.name === target || p.containerPort === target)) {
          problems.push(`${id(service)}: targetPort ${target} is not a port of ${id(workload)}`)
        }
      }
    }
  }

  for (const hpa of manifests) {
    if (hpa.kind !== "HorizontalPodAutoscaler") continue
    const ref = hpa.spec.scaleTargetRef
    const target = named(ref.kind, ref.name)
    if (target === undefined) {
      problems.push(`${id(hpa)}: scaleTargetRef ${ref.kind}/${ref.name} does not exist`)
      continue
    }
    // Utilization is relative to the requests, which the container schema requires.
    if (target.kind !== "Deployment") problems.push(`${id(hpa)}: Mirage autoscales only the gateway Deployment`)
  }

  for (const set of manifests) {
    if (set.kind !== "StatefulSet") continue
    const service = named("Service", set.spec.serviceName)
    if (service === undefined) {
      problems.push(`${id(set)}: serviceName ${set.spec.serviceName} is not a Service`)
    } else {
      if (service.spec.clusterIP !== "None") {
        problems.push(`${id(set)}: Service ${service.metadata.name} is not headless`)
      }
      if (!selects(service.spec.selector, set.spec.template.metadata.labels)) {
        problems.push(`${id(set)}: Service ${service.metadata.name} does not select its pods`)
      }
    }
  }

  for (const pdb of manifests) {
    if (pdb.kind !== "PodDisruptionBudget") continue
    if (selected(pdb.spec.selector.matchLabels).length === 0) problems.push(`${id(pdb)}: selector matches no pods`)
  }

  return problems
}

/** What is wrong between a kustomization and the files of its directory. */
export const checkKustomization = (
  kustomization: Kustomization,
  dir: string,
  manifests: ReadonlyArray<Manifest>
): Array<string> => {
  const problems: Array<string> = []
  const listed = kustomization.resources
  for (const file of new Set(listed.filter((x, i) => listed.indexOf(x) !== i))) problems.push(`${file} listed twice`)
  for (const file of listed) {
    if (!existsSync(join(dir, file))) problems.push(`${file} is listed but does not exist`)
  }
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml")
  for (const file of files) if (!listed.includes(file)) problems.push(`${file} is not listed in kustomization.yaml`)
  for (const m of manifests) {
    if (
      kustomization.namespace !== undefined && m.kind !== "Namespace" &&
      m.metadata.namespace !== kustomization.namespace
    ) {
      problems.push(`${id(m)}: namespace differs from the kustomization's ${kustomization.namespace}`)
    }
  }
  return problems
}

// --- docker compose -----------------------------------------------------------------------------------------------

const ComposeService = Schema.Struct({
  image: Schema.optional(Schema.NonEmptyString),
  build: Schema.optional(Schema.Struct({ context: Schema.String, dockerfile: Schema.optional(Schema.String) })),
  command: Schema.optional(Schema.Union(Schema.String, Schema.Array(Schema.String))),
  environment: Schema.optional(
    Schema.Record({ key: EnvName, value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean, Schema.Null) })
  ),
  ports: Schema.optional(Schema.Array(Schema.String)),
  expose: Schema.optional(Schema.Array(Schema.String)),
  volumes: Schema.optional(Schema.Array(Schema.String)),
  depends_on: Schema.optional(Schema.Union(
    Schema.Array(Schema.String),
    Schema.Record({
      key: Schema.String,
      value: Schema.Struct({
        condition: Schema.Literal("service_started", "service_healthy", "service_completed_successfully")
      })
    })
  )),
  healthcheck: Schema.optional(Schema.Struct({
    test: Schema.optional(Schema.Union(Schema.String, Schema.Array(Schema.String))),
    disable: Schema.optional(Schema.Boolean)
  })),
  deploy: Schema.optional(Schema.Struct({ replicas: Schema.optional(Count) })),
  stop_grace_period: Schema.optional(Schema.String.pipe(Schema.pattern(/^\d+(ms|s|m)$/)))
}).pipe(Schema.filter((s) => s.image !== undefined || s.build !== undefined || "needs an image or a build"))
type ComposeService = typeof ComposeService.Type

export const Compose = Schema.Struct({
  services: Schema.Record({ key: Schema.String.pipe(Schema.pattern(/^[a-z0-9][a-z0-9_.-]*$/)), value: ComposeService }),
  volumes: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})
type Compose = typeof Compose.Type

const dependencies = (service: ComposeService): Array<[string, string]> => {
  const deps = service.depends_on
  if (deps === undefined) return []
  return Array.isArray(deps)
    ? deps.map((name: string): [string, string] => [name, "service_started"])
    : Object.entries(deps).map(([name, dep]): [string, string] => [name, dep.condition])
}

/** The host side of a published port ("8080:8080", "127.0.0.1:8080:8080"), or undefined for an ephemeral one. */
const hostPort = (port: string): string | undefined => {
  const parts = port.replace(/\/(tcp|udp)$/, "").split(":")
  return parts.length >= 2 ? parts[parts.length - 2] : undefined
}

interface Mount {
  readonly source: string
  readonly target: string
  readonly bind: boolean
}
const mounts = (service: ComposeService, dir: string): Array<Mount> =>
  (service.volumes ?? []).map((volume) => {
    const [source = "", target = ""] = volume.split(":")
    const bind = source.startsWith(".") || source.startsWith("/")
    return { source: bind ? resolve(dir, source) : source, target, bind }
  })

const dockerfileOf = (service: ComposeService, dir: string): string | undefined =>
  service.build === undefined
    ? undefined
    : resolve(dir, service.build.context, service.build.dockerfile ?? "Dockerfile")

const hasHealthcheck = (service: ComposeService, dir: string): boolean => {
  if (service.healthcheck?.disable === true) return false
  if (service.healthcheck?.test !== undefined) return true
  const dockerfile = dockerfileOf(service, dir)
  return dockerfile !== undefined && existsSync(dockerfile) && /^HEALTHCHECK\s/m.test(readFileSync(dockerfile, "utf8"))
}

/** What is wrong in a compose file whose relative paths resolve from `dir`. */
export const checkCompose = (compose: Compose, dir: string): Array<string> => {
  const problems: Array<string> = []
  const names = Object.keys(compose.services)
  const published = new Map<string, string>()
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.build !== undefined) {
      const context = resolve(dir, service.build.context)
      if (!existsSync(context) || !statSync(context).isDirectory()) problems.push(`${name}: build context is missing`)
      const dockerfile = dockerfileOf(service, dir)
      if (dockerfile === undefined || !existsSync(dockerfile)) problems.push(`${name}: Dockerfile is missing`)
    }
    for (const mount of mounts(service, dir)) {
      if (mount.bind && !existsSync(mount.source)) problems.push(`${name}: volume source ${mount.source} is missing`)
      if (!mount.bind && !(mount.source in (compose.volumes ?? {}))) {
        problems.push(`${name}: named volume ${mount.source} is not declared`)
      }
    }
    for (const [dependency, condition] of dependencies(service)) {
      const target = compose.services[dependency]
      if (target === undefined) problems.push(`${name}: depends_on ${dependency}, which is not a service`)
      else if (condition === "service_healthy" && !hasHealthcheck(target, dir)) {
        problems.push(`${name}: waits for ${dependency} to be healthy, but it has no healthcheck`)
      }
    }
    const ports = (service.ports ?? []).map(hostPort).filter((p): p is string => p !== undefined)
    if (ports.length > 0 && (service.deploy?.replicas ?? 1) > 1) {
      problems.push(`${name}: a replicated service cannot publish fixed host ports`)
    }
    for (const port of ports) {
      const owner = published.get(port)
      if (owner !== undefined) problems.push(`${name}: host port ${port} is already published by ${owner}`)
      published.set(port, name)
    }
  }
  if (names.length === 0) problems.push("no services")
  return problems
}

const environmentOf = (service: ComposeService | undefined, name: string): string | undefined => {
  const value = service?.environment?.[name]
  return value === undefined || value === null ? undefined : String(value)
}

// --- Prometheus, OpenTelemetry collector, Grafana -----------------------------------------------------------------

export const PrometheusConfig = Schema.Struct({
  scrape_configs: Schema.NonEmptyArray(Schema.Struct({
    job_name: Schema.NonEmptyString,
    metrics_path: Schema.optional(Schema.String.pipe(Schema.startsWith("/"))),
    static_configs: Schema.optional(Schema.Array(Schema.Struct({ targets: Schema.NonEmptyArray(Schema.String) }))),
    dns_sd_configs: Schema.optional(Schema.Array(Schema.Struct({
      names: Schema.NonEmptyArray(Schema.String),
      type: Schema.optional(Schema.Literal("A", "AAAA", "SRV")),
      port: Schema.optional(PortNumber)
    })))
  }))
})
type PrometheusConfig = typeof PrometheusConfig.Type

const Components = Schema.Record({ key: Schema.String, value: Schema.Unknown })
export const CollectorConfig = Schema.Struct({
  extensions: Schema.optional(Components),
  receivers: Components,
  processors: Schema.optional(Components),
  exporters: Components,
  service: Schema.Struct({
    extensions: Schema.optional(Schema.Array(Schema.String)),
    pipelines: Schema.Record({
      key: Schema.String.pipe(Schema.pattern(/^(traces|metrics|logs)(\/[\w-]+)?$/)),
      value: Schema.Struct({
        receivers: Schema.NonEmptyArray(Schema.String),
        processors: Schema.optional(Schema.Array(Schema.String)),
        exporters: Schema.NonEmptyArray(Schema.String)
      })
    })
  })
})
type CollectorConfig = typeof CollectorConfig.Type

/** `host:port` of a target or endpoint, with any scheme and path removed. */
const hostAndPort = (endpoint: string): { readonly host: string; readonly port: number | undefined } => {
  const authority = endpoint.replace(/^[a-z]+:\/\//, "").split("/")[0] ?? ""
  const [host = "", port] = authority.split(":")
  return { host, port: port === undefined ? undefined : Number(port) }
}

const endpointOf = (component: unknown): string | undefined =>
  typeof component === "object" && component !== null && "endpoint" in component &&
    typeof component.endpoint === "string"
    ? component.endpoint
    : undefined

/** What is wrong in the collector config: undefined components, exporters pointing at hosts compose does not run. */
export const checkCollector = (config: CollectorConfig, services: ReadonlyArray<string>): Array<string> => {
  const problems: Array<string> = []
  const defined = (section: Readonly<Record<string, unknown>> | undefined, name: string) =>
    section !== undefined && name in section
  for (const extension of config.service.extensions ?? []) {
    if (!defined(config.extensions, extension)) problems.push(`extension ${extension} is not defined`)
  }
  for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
    for (const r of pipeline.receivers) if (!defined(config.receivers, r)) problems.push(`${name}: receiver ${r}?`)
    for (const p of pipeline.processors ?? []) {
      if (!defined(config.processors, p)) problems.push(`${name}: processor ${p}?`)
    }
    for (const e of pipeline.exporters) if (!defined(config.exporters, e)) problems.push(`${name}: exporter ${e}?`)
  }
  for (const [name, exporter] of Object.entries(config.exporters)) {
    const endpoint = endpointOf(exporter)
    if (endpoint === undefined) continue
    const { host } = hostAndPort(endpoint)
    if (host !== "0.0.0.0" && !services.includes(host)) problems.push(`exporter ${name}: ${host} is not a service`)
  }
  return problems
}

/** Scrape targets as host and port, with the job they belong to. */
const scrapeTargets = (config: PrometheusConfig) =>
  config.scrape_configs.flatMap((job) => [
    ...(job.static_configs ?? []).flatMap((s) => s.targets.map((t) => ({ job: job.job_name, ...hostAndPort(t) }))),
    ...(job.dns_sd_configs ?? []).flatMap((d) => d.names.map((host) => ({ job: job.job_name, host, port: d.port })))
  ])

export const GrafanaDatasources = Schema.Struct({
  apiVersion: Schema.Literal(1),
  datasources: Schema.NonEmptyArray(Schema.Struct({
    name: Schema.NonEmptyString,
    uid: Schema.NonEmptyString,
    type: Schema.NonEmptyString,
    url: Schema.String.pipe(Schema.startsWith("http")),
    access: Schema.optional(Schema.Literal("proxy", "direct"))
  }))
})

export const GrafanaDashboardProviders = Schema.Struct({
  apiVersion: Schema.Literal(1),
  providers: Schema.NonEmptyArray(Schema.Struct({
    name: Schema.NonEmptyString,
    type: Schema.Literal("file"),
    options: Schema.Struct({ path: Schema.String.pipe(Schema.startsWith("/")) })
  }))
})

interface Panel {
  readonly id: number
  readonly type: string
  readonly title: string
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number }
  readonly datasource?: { readonly type: string; readonly uid: string } | undefined
  readonly targets?: ReadonlyArray<{ readonly refId: string; readonly expr: string }> | undefined
  readonly panels?: ReadonlyArray<Panel> | undefined
}
const Panel: Schema.Schema<Panel> = Schema.Struct({
  id: Schema.Int.pipe(Schema.greaterThan(0)),
  type: Schema.NonEmptyString,
  title: Schema.NonEmptyString,
  gridPos: Schema.Struct({ h: Count, w: Schema.Int.pipe(Schema.between(1, 24)), x: Count, y: Count }).pipe(
    Schema.filter((grid) => grid.x + grid.w <= 24 || "panel wider than the grid")
  ),
  datasource: Schema.optional(Schema.Struct({ type: Schema.String, uid: Schema.String })),
  targets: Schema.optional(Schema.Array(Schema.Struct({ refId: Schema.NonEmptyString, expr: Schema.NonEmptyString }))),
  panels: Schema.optional(Schema.Array(Schema.suspend((): Schema.Schema<Panel> => Panel)))
})

export const Dashboard = Schema.Struct({
  uid: Schema.NonEmptyString,
  title: Schema.NonEmptyString,
  panels: Schema.NonEmptyArray(Panel)
})
type Dashboard = typeof Dashboard.Type

/** The metric names the services export (implemented in packages/runtime and apps/*). */
export const knownMetrics: ReadonlySet<string> = new Set([
  "mirage_scans",
  "mirage_tasks_started_total",
  "mirage_tasks_completed_total",
  "mirage_task_duration_seconds_bucket",
  "mirage_module_duration_seconds_bucket",
  "mirage_results_stored_total",
  "mirage_stream_pending",
  "mirage_stream_lag",
  "mirage_shards_owned",
  "mirage_lease_renewals_total",
  "mirage_takeovers_total",
  "mirage_rate_limit_waits_total",
  "mirage_source_429_total",
  "mirage_cache_hits_total",
  "mirage_proxy_healthy",
  "mirage_http_requests_total",
  "mirage_http_request_duration_seconds_bucket",
  "mirage_gc_pause_seconds_sum",
  "mirage_gc_pause_seconds_count",
  "mirage_gateway_workers"
])

const promqlKeywords = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or"])
promqlKeywords.add("unless").add("offset").add("inf").add("nan")

/** The metric names a PromQL expression selects: identifiers that are not functions, keywords, labels or strings. */
export const metricNames = (expr: string): Array<string> => {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "\"\"")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\boffset\s+\w+/g, " ")
    .replace(/\$\{?\w+\}?/g, " ")
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, " ")
  const names: Array<string> = []
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0]
    if (/^\s*\(/.test(stripped.slice(match.index + word.length))) continue
    if (promqlKeywords.has(word.toLowerCase())) continue
    names.push(word)
  }
  return names
}

const allPanels = (panels: ReadonlyArray<Panel>): Array<Panel> =>
  panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])])

/** What is wrong in a dashboard: duplicate ids, unknown data sources, expressions over metrics nobody exports. */
export const checkDashboard = (dashboard: Dashboard, datasourceUids: ReadonlyArray<string>): Array<string> => {
  const problems: Array<string> = []
  const panels = allPanels(dashboard.panels)
  const ids = panels.map((p) => p.id)
  for (const duplicate of new Set(ids.filter((x, i) => ids.indexOf(x) !== i))) {
    problems.push(`panel id ${duplicate} twice`)
  }
  for (const panel of panels) {
    const where = `panel ${panel.id} "${panel.title}"`
    if (panel.datasource !== undefined && !datasourceUids.includes(panel.datasource.uid)) {
      problems.push(`${where}: unknown data source ${panel.datasource.uid}`)
    }
    if (panel.type !== "row" && (panel.targets ?? []).length === 0) problems.push(`${where}: no query`)
    const refIds = (panel.targets ?? []).map((t) => t.refId)
    if (new Set(refIds).size !== refIds.length) problems.push(`${where}: duplicate refId`)
    for (const target of panel.targets ?? []) {
      const names = metricNames(target.expr)
      if (names.length === 0) problems.push(`${where}: ${target.expr} selects no metric`)
      for (const name of names) if (!knownMetrics.has(name)) problems.push(`${where}: unknown metric ${name}`)
      let depth = 0
      for (const char of target.expr) {
        depth += char === "(" ? 1 : char === ")" ? -1 : 0
        if (depth < 0) break
      }
      if (depth !== 0) problems.push(`${where}: unbalanced parentheses in ${target.expr}`)
    }
  }
  return problems
}

// --- The files ----------------------------------------------------------------------------------------------------

const k8sFiles = readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml").sort()
const loadManifests = (): Array<{ readonly file: string; readonly manifest: Manifest }> =>
  k8sFiles.flatMap((file) =>
    loadYaml(join(k8sDir, file)).map((document, index) => ({
      file,
      manifest: Either.getOrElse(decodeManifest(document), (message) => {
        throw new Error(`${file} document ${index + 1}: ${message}`)
      })
    }))
  )
const manifestsOnly = () => loadManifests().map((entry) => entry.manifest)
const loadCompose = () => decodeOrThrow(Compose, loadOne(join(infraDir, "docker-compose.yml")), "docker-compose.yml")
const find = <K extends Manifest["kind"]>(manifests: ReadonlyArray<Manifest>, kind: K, name: string) => {
  const found = manifests.find((m): m is Extract<Manifest, { readonly kind: K }> =>
    m.kind === kind && m.metadata.name === name
  )
  if (found === undefined) throw new Error(`${kind}/${name} not found`)
  return found
}
const envNamed = (container: ContainerLike, name: string) => (container.env ?? []).find((e) => e.name === name)
const probePath = (probe: Probe) => probe.httpGet.path

describe("YAML under infra/", () => {
  const files = yamlFilesUnder(infraDir)

  it("finds the deployment files", () => {
    const names = files.map((f) => relative(infraDir, f))
    expect(names).toEqual(expect.arrayContaining([
      "docker-compose.yml",
      "otel/collector.yaml",
      "prometheus/prometheus.yml",
      "k8s/kustomization.yaml",
      "k8s/node-statefulset.yaml"
    ]))
    expect(names.some((n) => n.startsWith("grafana/provisioning/datasources/"))).toBe(true)
    expect(names.some((n) => n.startsWith("grafana/provisioning/dashboards/"))).toBe(true)
  })

  it.each(files.map((f) => [relative(infraDir, f), f] as const))("%s parses", (_name, path) => {
    const parsed = parseYaml(readFileSync(path, "utf8"))
    expect(parsed.problems).toEqual([])
    expect(parsed.documents.length).toBeGreaterThan(0)
  })

  it("rejects YAML with a duplicate key", () => {
    expect(parseYaml("a: 1\na: 2\n").problems.length).toBeGreaterThan(0)
  })
})

describe("Kubernetes manifests", () => {
  it.each(k8sFiles)("%s decodes with the schema of its kind", (file) => {
    for (const document of loadYaml(join(k8sDir, file))) {
      const decoded = decodeManifest(document)
      expect(Either.isRight(decoded) ? "ok" : decoded.left).toBe("ok")
    }
  })

  it("agree with each other", () => {
    expect(crossCheck(manifestsOnly())).toEqual([])
  })

  it("are exactly the resources of kustomization.yaml", () => {
    const kustomization = decodeOrThrow(Kustomization, loadOne(join(k8sDir, "kustomization.yaml")), "kustomization")
    expect(checkKustomization(kustomization, k8sDir, manifestsOnly())).toEqual([])
    const images = (kustomization.images ?? []).map((i) => i.name)
    const used = new Set(
      manifestsOnly().filter(isWorkload).flatMap((w) =>
        w.spec.template.spec.containers.map((c) => c.image.split(":")[0])
      )
    )
    for (const image of used) expect(images).toContain(image)
  })

  it("run the gateway as a probed, autoscaled Deployment", () => {
    const manifests = manifestsOnly()
    const gateway = find(manifests, "Deployment", "mirage-gateway")
    const [container] = gateway.spec.template.spec.containers
    expect(probePath(container.readinessProbe)).toBe("/ready")
    expect(probePath(container.livenessProbe)).toBe("/health")
    const hpa = manifests.find((m) => m.kind === "HorizontalPodAutoscaler")
    expect(hpa?.kind === "HorizontalPodAutoscaler" && hpa.spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: gateway.metadata.name
    })
    const config = find(manifests, "ConfigMap", "mirage-config")
    expect(container.ports.map((p) => String(p.containerPort))).toContain(config.data["PORT"])
  })

  it("run the nodes as a StatefulSet that hands its shards off before it is killed", () => {
    const manifests = manifestsOnly()
    const node = find(manifests, "StatefulSet", "mirage-node")
    const [server] = node.spec.template.spec.containers
    expect(node.spec.podManagementPolicy).toBe("Parallel")
    expect(find(manifests, "Service", node.spec.serviceName).spec.clusterIP).toBe("None")
    const nodeId = envNamed(server, "MIRAGE_NODE_ID")
    expect(nodeId !== undefined && "valueFrom" in nodeId && nodeId.valueFrom).toEqual({
      fieldRef: { fieldPath: "metadata.name" }
    })
    expect(probePath(server.readinessProbe)).toBe("/ready")
    expect(probePath(server.livenessProbe)).toBe("/health")
    const config = find(manifests, "ConfigMap", "mirage-config")
    expect(server.ports.map((p) => String(p.containerPort))).toContain(config.data["MIRAGE_METRICS_PORT"])
    const drainMs = Number(config.data["MIRAGE_DRAIN_MS"])
    const leaseTtlMs = Number(config.data["MIRAGE_LEASE_TTL_MS"])
    expect(drainMs).toBeGreaterThan(0)
    expect(leaseTtlMs).toBeGreaterThan(0)
    // The kubelet's SIGKILL must come after the drain, the lease release and a margin.
    const grace = node.spec.template.spec.terminationGracePeriodSeconds ?? 30
    expect(grace).toBeGreaterThanOrEqual(Math.ceil((drainMs + leaseTtlMs) / 1000) + 5)
    const pdb = manifests.find((m) => m.kind === "PodDisruptionBudget")
    expect(pdb?.kind === "PodDisruptionBudget" && selects(pdb.spec.selector.matchLabels, templateLabels(node)))
      .toBe(true)
  })

  it("ship only placeholder secrets", () => {
    const secrets = manifestsOnly().filter((m) => m.kind === "Secret")
    expect(secrets.length).toBeGreaterThan(0)
    for (const secret of secrets) {
      expect(secret.data).toBeUndefined()
      for (const value of Object.values(secret.stringData ?? {})) expect(value).toContain("CHANGE-ME")
    }
  })

  it("run the migrations with a file that exists", () => {
    const job = find(manifestsOnly(), "Job", "mirage-migrations")
    const script = job.spec.template.spec.containers[0].command?.at(-1)
    expect(script !== undefined && existsSync(join(repoDir, script))).toBe(true)
  })
})

describe("the validator rejects broken manifests", () => {
  const gatewayDocument = () => {
    const [document] = loadYaml(join(k8sDir, "gateway-deployment.yaml"))
    return structuredClone(document) as {
      spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<unknown> } } }
    }
  }

  it("a Deployment whose selector does not match its template", () => {
    const broken = gatewayDocument()
    broken.spec.template.metadata.labels = { "app.kubernetes.io/name": "something-else" }
    const decoded = decodeManifest(broken)
    expect(Either.isLeft(decoded)).toBe(true)
    expect(Either.isLeft(decoded) && decoded.left).toContain("spec.selector.matchLabels must match")
  })

  it("a container without probes or resources, or with a number as env value", () => {
    const broken = gatewayDocument()
    const container = broken.spec.template.spec.containers[0] as Record<string, unknown>
    delete container["readinessProbe"]
    container["env"] = [{ name: "PORT", value: 8080 }]
    expect(Either.isLeft(decodeManifest(broken))).toBe(true)
  })

  it("an env reference to a key the Secret does not have", () => {
    const manifests = manifestsOnly().map((m) => {
      if (m.kind !== "Secret" || m.metadata.name !== "mirage-secrets") return m
      const { DATABASE_URL: _dropped, ...stringData } = m.stringData ?? {}
      return { ...m, stringData }
    })
    expect(crossCheck(manifests)).toContainEqual(expect.stringContaining("missing key DATABASE_URL of Secret"))
  })

  it("a StatefulSet whose serviceName is not a Service, and a lone HPA", () => {
    const manifests = manifestsOnly().map((m) =>
      m.kind === "StatefulSet" ? { ...m, spec: { ...m.spec, serviceName: "nowhere" } } : m
    ).filter((m) => m.kind !== "Deployment")
    const problems = crossCheck(manifests)
    expect(problems).toContainEqual(expect.stringContaining("serviceName nowhere is not a Service"))
    expect(problems).toContainEqual(expect.stringContaining("scaleTargetRef Deployment/mirage-gateway does not exist"))
  })

  it("a manifest missing from the kustomization", () => {
    const kustomization = decodeOrThrow(Kustomization, loadOne(join(k8sDir, "kustomization.yaml")), "kustomization")
    const [first, ...rest] = kustomization.resources
    const problems = checkKustomization({ ...kustomization, resources: ["missing.yaml", ...rest] }, k8sDir, [])
    expect(problems).toContainEqual(expect.stringContaining("missing.yaml is listed but does not exist"))
    expect(problems).toContainEqual(expect.stringContaining(`${first} is not listed`))
  })
})

describe("docker compose", () => {
  it("has every service, with references that resolve", () => {
    const compose = loadCompose()
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining([
      "redis",
      "postgres",
      "mongo",
      "migrations",
      "gateway",
      "node",
      "otel-collector",
      "jaeger",
      "prometheus",
      "grafana"
    ]))
    expect(checkCompose(compose, infraDir)).toEqual([])
    expect(compose.services["redis"]?.image).toMatch(/^redis:7/)
    expect(compose.services["postgres"]?.image).toMatch(/^postgres:16/)
    expect(compose.services["mongo"]?.image).toMatch(/^mongo:7/)
    expect(compose.services["node"]?.deploy?.replicas).toBe(3)
    expect(compose.services["gateway"]?.ports).toContain("8080:8080")
    expect(compose.services["otel-collector"]?.image).toContain("contrib")
    expect(compose.services["jaeger"]?.image).toContain("all-in-one")
  })

  it("runs the migrations before the gateway and the nodes", () => {
    const compose = loadCompose()
    for (const name of ["gateway", "node"]) {
      const service = compose.services[name]
      expect(service && dependencies(service)).toContainEqual(["migrations", "service_completed_successfully"])
    }
    const command = compose.services["migrations"]?.command
    const script = Array.isArray(command) ? command.at(-1) : undefined
    expect(script !== undefined && existsSync(join(repoDir, script))).toBe(true)
  })

  it("rejects unknown dependencies, missing files and clashing ports", () => {
    const compose = loadCompose()
    const broken: Compose = {
      ...compose,
      services: {
        ...compose.services,
        extra: { image: "busybox", depends_on: ["nowhere"], ports: ["8080:80"], volumes: ["./missing.yaml:/x"] }
      }
    }
    const problems = checkCompose(broken, infraDir)
    expect(problems).toContainEqual(expect.stringContaining("depends_on nowhere"))
    expect(problems).toContainEqual(expect.stringContaining("host port 8080"))
    expect(problems).toContainEqual(expect.stringContaining("missing.yaml is missing"))
  })
})

describe("Prometheus and the OpenTelemetry collector", () => {
  const prometheusFile = join(infraDir, "prometheus", "prometheus.yml")
  const collectorFile = join(infraDir, "otel", "collector.yaml")

  it("Prometheus scrapes the gateway, every node and the collector where they listen", () => {
    const compose = loadCompose()
    const config = decodeOrThrow(PrometheusConfig, loadOne(prometheusFile), "prometheus.yml")
    const jobs = config.scrape_configs.map((job) => job.job_name)
    expect(new Set(jobs).size).toBe(jobs.length)
    const targets = scrapeTargets(config)
    for (const target of targets) expect(Object.keys(compose.services)).toContain(target.host)
    const portOf = (host: string) => targets.find((t) => t.host === host)?.port
    expect(portOf("gateway")).toBe(Number(environmentOf(compose.services["gateway"], "PORT")))
    expect(portOf("node")).toBe(Number(environmentOf(compose.services["node"], "MIRAGE_METRICS_PORT")))
    const collector = decodeOrThrow(CollectorConfig, loadOne(collectorFile), "collector.yaml")
    const exporter = endpointOf(collector.exporters["prometheus"])
    expect(exporter && portOf("otel-collector")).toBe(exporter && hostAndPort(exporter).port)
  })

  it("the collector's pipelines use defined components and export to compose services", () => {
    const compose = loadCompose()
    const collector = decodeOrThrow(CollectorConfig, loadOne(collectorFile), "collector.yaml")
    expect(checkCollector(collector, Object.keys(compose.services))).toEqual([])
    expect(Object.keys(collector.service.pipelines)).toEqual(expect.arrayContaining(["traces", "metrics"]))
    // The services send OTLP over HTTP to the collector's HTTP receiver.
    const endpoint = environmentOf(compose.services["gateway"], "OTEL_EXPORTER_OTLP_ENDPOINT")
    const receiver = collector.receivers["otlp"] as { protocols: { http: { endpoint: string } } }
    expect(endpoint && hostAndPort(endpoint)).toEqual({
      host: "otel-collector",
      port: hostAndPort(receiver.protocols.http.endpoint).port
    })
  })

  it("the configs are mounted where the containers read them", () => {
    const compose = loadCompose()
    const collectorMount = mounts(compose.services["otel-collector"] ?? { image: "-" }, infraDir)
      .find((m) => m.source === collectorFile)
    expect(collectorMount).toBeDefined()
    expect(compose.services["otel-collector"]?.command).toContain(`--config=${collectorMount?.target}`)
    const prometheusMount = mounts(compose.services["prometheus"] ?? { image: "-" }, infraDir)
      .find((m) => m.source === prometheusFile)
    expect(compose.services["prometheus"]?.command).toContain(`--config.file=${prometheusMount?.target}`)
  })

  it("rejects a pipeline with an undefined exporter", () => {
    const collector = decodeOrThrow(CollectorConfig, loadOne(collectorFile), "collector.yaml")
    const broken: CollectorConfig = {
      ...collector,
      service: { pipelines: { traces: { receivers: ["otlp"], exporters: ["zipkin"] } } }
    }
    expect(checkCollector(broken, [])).toContainEqual(expect.stringContaining("exporter zipkin"))
  })
})

describe("Grafana", () => {
  const provisioning = join(infraDir, "grafana", "provisioning")
  const dashboardFile = join(infraDir, "grafana", "dashboards", "mirage.json")
  const datasources = () =>
    yamlFilesUnder(join(provisioning, "datasources")).flatMap((file) =>
      decodeOrThrow(GrafanaDatasources, loadOne(file), relative(infraDir, file)).datasources
    )
  const loadDashboard = () =>
    decodeOrThrow(Dashboard, JSON.parse(readFileSync(dashboardFile, "utf8")) as unknown, "mirage.json")

  it("provisions data sources on compose services and the dashboards directory compose mounts", () => {
    const compose = loadCompose()
    for (const source of datasources()) expect(Object.keys(compose.services)).toContain(hostAndPort(source.url).host)
    const grafanaMounts = mounts(compose.services["grafana"] ?? { image: "-" }, infraDir)
    const dashboardsMount = grafanaMounts.find((m) => m.source === join(infraDir, "grafana", "dashboards"))
    const provisioningMount = grafanaMounts.find((m) => m.source === provisioning)
    expect(provisioningMount?.target).toBe("/etc/grafana/provisioning")
    for (const file of yamlFilesUnder(join(provisioning, "dashboards"))) {
      const providers = decodeOrThrow(GrafanaDashboardProviders, loadOne(file), relative(infraDir, file)).providers
      for (const provider of providers) expect(provider.options.path).toBe(dashboardsMount?.target)
    }
  })

  it("the dashboard has unique panel ids and queries only the exported metrics", () => {
    const dashboard = loadDashboard()
    expect(checkDashboard(dashboard, datasources().map((d) => d.uid))).toEqual([])
  })

  it("the dashboard covers every exported metric", () => {
    const used = new Set(
      allPanels(loadDashboard().panels).flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr)))
    )
    expect([...knownMetrics].filter((m) => !used.has(m))).toEqual([])
  })

  it("finds the metric names of PromQL expressions", () => {
    expect(metricNames(
      "histogram_quantile(0.95, sum by (le, module) (rate(mirage_task_duration_seconds_bucket{module=~\"dns.*\"}[$__rate_interval])))"
    )).toEqual(["mirage_task_duration_seconds_bucket"])
    expect(metricNames("sum(rate(a_total[5m])) / clamp_min(sum(b offset 1h), 1e-9) > bool 0")).toEqual(["a_total", "b"])
  })

  it("rejects duplicate panel ids and unknown metrics", () => {
    const dashboard = loadDashboard()
    const [first] = dashboard.panels
    const broken: Dashboard = {
      ...dashboard,
      panels: [...dashboard.panels, {
        id: first.id,
        type: "timeseries",
        title: "typo",
        gridPos: { h: 8, w: 12, x: 0, y: 100 },
        targets: [{ refId: "A", expr: "sum(rate(mirage_task_started_total[5m]))" }]
      }]
    }
    const problems = checkDashboard(broken, ["prometheus"])
    expect(problems).toContainEqual(`panel id ${first.id} twice`)
    expect(problems).toContainEqual(expect.stringContaining("unknown metric mirage_task_started_total"))
  })
})

describe("Dockerfiles", () => {
  const dockerignore = join(repoDir, ".dockerignore")

  it.each([["gateway", "apps/gateway/src/main.ts"], ["node", "apps/node/src/main.ts"]] as const)(
    "%s: multi-stage on node:20-slim, production dependencies, non-root, health-checked, SIGTERM",
    (name, entry) => {
      const text = readFileSync(join(infraDir, "docker", `${name}.Dockerfile`), "utf8")
      expect(text).toMatch(/^ARG NODE_IMAGE=node:20-slim$/m)
      expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2)
      expect(text).toContain("npm install --omit=dev")
      const users = [...text.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1])
      expect(users.length).toBeGreaterThan(0)
      expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/)
      expect(text).toMatch(/^HEALTHCHECK .*[\s\S]*\/health/m)
      expect(text).toMatch(/^STOPSIGNAL SIGTERM$/m)
      // Started as the launcher starts it, V8 settings included.
      const command = ["node", ...v8Flags, "--import", "tsx", entry]
      expect(text).toContain(`CMD [${command.map((part) => `"${part}"`).join(", ")}]`)
      expect(existsSync(join(repoDir, entry))).toBe(true)
      for (const match of text.matchAll(/^COPY (?!--from)(.+)$/gm)) {
        const sources = (match[1] ?? "").split(/\s+/).slice(0, -1)
        for (const source of sources) expect(existsSync(join(repoDir, source)), `${name}: COPY ${source}`).toBe(true)
      }
    }
  )

  it("the build context leaves dependencies and local state out", () => {
    const lines = readFileSync(dockerignore, "utf8").split("\n").map((l) => l.trim())
    expect(lines).toEqual(expect.arrayContaining(["**/node_modules", ".git", "**/.env"]))
  })
})
