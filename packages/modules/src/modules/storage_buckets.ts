/**
 * storage_buckets: cloud storage named after the target — Amazon S3, Google Cloud Storage, Azure Blob containers,
 * Firebase Realtime Databases and DigitalOcean Spaces — asked by name over each provider's public HTTP API. A
 * listing (S3-style `ListBucketResult`, Azure `EnumerationResults`, Firebase JSON) is an open bucket; 401/403 is a
 * bucket that exists but is private; 404 or a name that does not resolve is none. Active and aggressive (dozens of
 * guessed names against third-party providers), off unless named; every request goes through the runtime's HTTP
 * client, so the scope/SSRF guard checks each connection. Each bucket found is a URL.
 */
import { Effect, Option, Ref, Schema } from "effect"
import { canonicalTarget, headerFields } from "../kinds/PagedApi.js"
import { defineModule, type Finding, finding } from "../Module.js"
import type { HttpClient, ModuleContext } from "../Module.js"

export const Provider = Schema.Literal("s3", "gcs", "azure", "firebase", "digitalocean")
export type Provider = typeof Provider.Type

/** Where each provider's bucket is asked: `{bucket}` (and `{region}` for Spaces) filled in. */
export const defaultTemplates: Readonly<Record<Provider, string>> = {
  s3: "https://{bucket}.s3.amazonaws.com/",
  gcs: "https://storage.googleapis.com/{bucket}/",
  azure: "https://{account}.blob.core.windows.net/{bucket}?restype=container&comp=list",
  firebase: "https://{bucket}.firebaseio.com/.json?shallow=true",
  digitalocean: "https://{bucket}.{region}.digitaloceanspaces.com/"
}

const Name = Schema.String.pipe(Schema.pattern(/^[a-z0-9][a-z0-9.-]{0,40}$/))

export const StorageBucketsConfig = Schema.Struct({
  providers: Schema.optionalWith(Schema.Array(Provider), {
    default: () => ["s3", "gcs", "azure", "firebase", "digitalocean"],
    exact: true
  }),
  /** Appended to each base name (`-backup`): the guesses besides the name itself. */
  suffixes: Schema.optionalWith(Schema.Array(Name), {
    default: () => ["backup", "dev", "prod", "assets", "static", "files", "data"],
    exact: true
  }),
  /** Azure containers asked in each storage account named after the target. */
  azure_containers: Schema.optionalWith(Schema.Array(Name), {
    default: () => ["public", "files", "backup", "assets"],
    exact: true
  }),
  digitalocean_regions: Schema.optionalWith(Schema.Array(Name), {
    default: () => ["nyc3", "ams3", "fra1", "sgp1", "sfo3"],
    exact: true
  }),
  /** Each provider's URL template; only tests and private mirrors change them. */
  templates: Schema.optionalWith(Schema.partial(Schema.Record({ key: Provider, value: Schema.String })), {
    default: () => ({}),
    exact: true
  }),
  max_names: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 200)), { default: () => 40, exact: true })
})
export type StorageBucketsConfig = typeof StorageBucketsConfig.Type

/** The names a target suggests: its labels joined in the ways buckets are named, each with and without suffixes. */
export const candidateNames = (target: string, suffixes: ReadonlyArray<string>, max: number): ReadonlyArray<string> => {
  const text = target.toLowerCase().replace(/[^a-z0-9.]+/g, "-").replace(/^[-.]+|[-.]+$/g, "")
  const labels = text.split(".").filter((label) => label !== "")
  const bases = new Set(
    [labels[0] ?? text, labels.join("-"), text, text.replace(/[-.]/g, "")].filter((b) => b.length >= 3)
  )
  const names = [...bases, ...Array.from(bases).flatMap((base) => suffixes.map((suffix) => `${base}-${suffix}`))]
  return Array.from(new Set(names)).slice(0, max)
}

export type Verdict = "open" | "private" | "none"

/** What an answer says of a bucket. */
export const verdictOf = (provider: Provider, status: number, body: string): Verdict => {
  if (status === 401 || status === 403) return "private"
  if (status !== 200) return "none"
  if (provider === "firebase") return body.trim() === "null" ? "private" : "open"
  return /<ListBucketResult|<EnumerationResults/.test(body) ? "open" : "private"
}

/** Azure storage accounts are 3-24 lower-case letters and digits. */
const accountOf = (name: string) => name.replace(/[^a-z0-9]/g, "").slice(0, 24)

interface Probe {
  readonly provider: Provider
  readonly bucket: string
  readonly url: string
}

export const probesFor = (names: ReadonlyArray<string>, config: StorageBucketsConfig): ReadonlyArray<Probe> =>
  config.providers.flatMap((provider): ReadonlyArray<Probe> => {
    const template = config.templates[provider] ?? defaultTemplates[provider]
    const fill = (bucket: string, extra: Record<string, string> = {}) =>
      Object.entries({ bucket, ...extra }).reduce((url, [k, v]) => url.replaceAll(`{${k}}`, v), template)
    switch (provider) {
      case "azure":
        return names.filter((n) => accountOf(n).length >= 3).flatMap((name) =>
          config.azure_containers.map((container) => ({
            provider,
            bucket: `${accountOf(name)}/${container}`,
            url: fill(container, { account: accountOf(name) })
          }))
        )
      case "digitalocean":
        return names.flatMap((name) =>
          config.digitalocean_regions.map((region) => ({
            provider,
            bucket: `${name}@${region}`,
            url: fill(name, { region })
          }))
        )
      case "firebase":
        return names.filter((n) => !n.includes(".")).map((name) => ({ provider, bucket: name, url: fill(name) }))
      default:
        return names.map((name) => ({ provider, bucket: name, url: fill(name) }))
    }
  })

const ask = (http: HttpClient, probe: Probe) =>
  http.get(probe.url, { headers: { accept: "*/*" } }).pipe(
    Effect.map((response) => verdictOf(probe.provider, response.status, response.body)),
    // A virtual-host name that does not resolve is a bucket that does not exist; the guard's refusal is not.
    Effect.catchTag("SourceUnavailable", () => Effect.succeed<Verdict>("none"))
  )

const bucketFinding = (probe: Probe, verdict: Verdict, target: string): Option.Option<Finding> =>
  finding("URL", probe.url, {
    confidence: verdict === "open" ? 0.95 : 0.7,
    metadata: {
      provider: probe.provider,
      bucket: probe.bucket,
      public_listing: verdict === "open",
      derived_from: target,
      ...(verdict === "open" ? { sensitive: true, exposure: "anyone can list the bucket's contents" } : {})
    }
  })

const source = {
  id: "storage_buckets",
  name: "Cloud storage providers (S3, GCS, Azure Blob, Firebase, Spaces)",
  rateLimit: { requests: 10, perSeconds: 1, burst: 10 },
  requiresKey: false,
  proxy: true
} as const

export const storageBuckets = defineModule({
  ...headerFields({
    name: "storage_buckets",
    title: "Open cloud storage buckets",
    description: "Guesses cloud storage buckets named after a target and reports those that exist, open or private",
    flags: ["active", "aggressive"],
    config: StorageBucketsConfig,
    input_types: ["DOMAIN", "ORGANIZATION"],
    output_types: ["URL"]
  }),
  source,
  setup: (config: StorageBucketsConfig, ctx: ModuleContext) =>
    Effect.map(Ref.make(0), (asked) => ({ config, http: ctx.http, log: ctx.log, asked })),
  collect: (session, task) =>
    Effect.gen(function*() {
      const target = yield* canonicalTarget("storage_buckets", task)
      const names = candidateNames(target.value, session.config.suffixes, session.config.max_names)
      const probes = probesFor(names, session.config)
      const verdicts = yield* Effect.forEach(probes, (probe) =>
        Effect.map(
          Effect.zipLeft(
            ask(session.http, probe),
            Ref.update(session.asked, (n) => n + 1)
          ),
          (verdict) => ({
            probe,
            verdict
          })
        ), { concurrency: 4 })
      const found = verdicts.filter((v) => v.verdict !== "none")
      yield* session.log("storage_buckets asked", {
        target: target.value,
        asked: probes.length,
        found: found.length,
        open: found.filter((v) => v.verdict === "open").length
      })
      return found.flatMap((v) => Option.toArray(bucketFinding(v.probe, v.verdict, target.value)))
    })
})
