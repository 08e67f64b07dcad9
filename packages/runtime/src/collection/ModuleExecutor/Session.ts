/**
 * The context a module is opened with for one attempt of a task, the same for every module. Its HttpClient answers
 * from the request cache, else takes a token of the source's global rate limit, records the request in the task's
 * collection log and sends it, through a proxy when the task is proxied (the scope guard checking the name first)
 * or directly (the guard checking the address at connect time). Its DNS client takes the resolvers' one rate limit,
 * its log scrubs keys, its whole lists are the node's (kept for the source's cache TTL), and it carries the pool's
 * next key that is not rate limited (each key with its own bucket) or the task's own.
 */
import { DnsClient, HttpClient, ModuleContext, ModuleError } from "@mirage/modules"
import type { Module, SharedLists } from "@mirage/modules"
import { Effect, Option, Redacted } from "effect"
import { loggedHttp, requestUrl, scrub, stripSecrets } from "../CollectionLog.js"
import type { RequestRecord } from "../CollectionLog.js"
import { bucketOf } from "../Credentials.js"
import type { CredentialsService } from "../Credentials.js"
import type { Proxy, ProxyPoolService } from "../ProxyPool.js"
import type { RateLimiterService } from "../RateLimiter.js"
import { cachedHttp } from "../RequestCache.js"
import type { RequestCacheService } from "../RequestCache.js"
import type { ScopeGuardService } from "../ScopeGuard.js"
import type { TaskSpec } from "../TaskExecutor.js"
import type { ExecutorSettings } from "./ExecutorSettings.js"
import { dnsLimit, takeToken } from "./SourcePolicy.js"
import type { SourcePolicy } from "./SourcePolicy.js"

export interface SessionPorts {
  readonly limiter: RateLimiterService
  readonly credentials: CredentialsService
  readonly cache: RequestCacheService
  readonly proxies: ProxyPoolService
  /** The node's whole lists (catalogs, feeds), each kept for its source's cache TTL. */
  readonly lists: SharedLists.ListStore
}

/** What every attempt of one task shares. */
export interface TaskSession {
  readonly task: TaskSpec
  readonly module: Module.Module
  readonly policy: SourcePolicy
  /** Whether its requests go through a proxy. */
  readonly proxied: boolean
  /** Every key in clear: what logs must not show. */
  readonly secrets: ReadonlyArray<string>
  /** Adds a request to the task's collection log. */
  readonly record: (request: RequestRecord) => Effect.Effect<void>
}

/** A context for one attempt, and the key it carries (to park if the source refuses it). */
export interface AttemptContext {
  readonly ctx: ModuleContext.ModuleContext
  readonly key: Option.Option<Redacted.Redacted<string>>
  /** The pool key's label; none for the task's own key or none at all. */
  readonly label: Option.Option<string>
  /** The rate-limit bucket the attempt's requests take tokens from and a 429 pauses. */
  readonly bucket: string
}

interface KeyChoice {
  readonly key: Option.Option<Redacted.Redacted<string>>
  readonly label: Option.Option<string>
  readonly bucket: string
}

/**
 * The key of a request: the task's own, or the pool's next one that is not rate limited (or, all of them being
 * paused, the one free soonest), so a 429 on one key sends the next requests to the others.
 */
const chooseKey = (ports: SessionPorts, session: TaskSession) =>
  Effect.gen(function*() {
    const source = session.module.source.id
    if (session.task.api_key !== undefined) {
      return { key: Option.some(session.task.api_key), label: Option.none(), bucket: source } satisfies KeyChoice
    }
    const turn = yield* ports.credentials.next(source)
    let best: { readonly choice: KeyChoice; readonly until: number } | undefined
    for (const candidate of turn.keys) {
      const label = Option.some(candidate.label)
      const bucket = bucketOf(source, label, turn.size)
      const choice: KeyChoice = { key: Option.some(candidate.key), label, bucket }
      const state = yield* ports.limiter.state(bucket).pipe(
        Effect.orElseSucceed(() => ({ state: "ok" as const }))
      )
      if (state.state === "ok") return choice
      if (best === undefined || state.until < best.until) best = { choice, until: state.until }
    }
    return best?.choice ?? { key: Option.none(), label: Option.none(), bucket: source }
  })

/** The task decides; otherwise proxy when the module allows it and proxies are configured. */
export const isProxied = (proxies: ProxyPoolService, task: TaskSpec, source: Module.DataSource) =>
  Effect.map(proxies.status, (pool) => task.use_proxy ?? (source.proxy && pool.length > 0))

/** A transport failure (no HTTP status): what says the proxy, not the source, may be at fault. */
const isTransportFailure = (error: ModuleError.ModuleError) =>
  error._tag === "SourceUnavailable" && error.status === undefined

/** Strings of a log record with every secret replaced, so a careless module cannot leak a key. */
const scrubFields = (fields: Readonly<Record<string, unknown>>, secrets: ReadonlyArray<string>) => {
  const text = JSON.stringify(fields) ?? "{}"
  const clean = scrub(text, secrets)
  return clean === text ? fields : { redacted: clean }
}

/** The undici client itself: through the proxy, or directly with the guard's dispatcher checking each connect. */
const transport = (
  proxies: ProxyPoolService,
  session: TaskSession,
  proxy: Option.Option<Proxy>,
  guard: ScopeGuardService | undefined
): HttpClient.HttpClient => {
  const { module, task } = session
  const base = HttpClient.makeHttpClient({
    label: module.id,
    source: module.source.id,
    timeoutMs: task.timeout_ms,
    ...(Option.isSome(proxy)
      ? { dispatcher: proxy.value.dispatcher }
      : guard === undefined
      ? {}
      : { dispatcher: guard.dispatcher })
  })
  if (Option.isNone(proxy)) return base
  // The proxy resolves the name, so the guard can only check it beforehand.
  const checked = (url: string) =>
    guard === undefined || !URL.canParse(url) ? Effect.void : guard.check(module.id, new URL(url).hostname)
  // A transport failure through a proxy evicts it for its cool-down; the retry takes the next.
  const evicting = <A, E extends ModuleError.ModuleError>(request: Effect.Effect<A, E>) =>
    request.pipe(
      Effect.tapError((error) => isTransportFailure(error) ? proxies.markFailed(proxy.value.id) : Effect.void)
    )
  return {
    get: (url, options) => evicting(Effect.zipRight(checked(url), base.get(url, options))),
    post: (url, options) => evicting(Effect.zipRight(checked(url), base.post(url, options)))
  }
}

/** The module's HttpClient: cache, then the source's rate limit, then the collection log, then the transport. */
const httpClient = (
  ports: SessionPorts,
  session: TaskSession,
  proxy: Option.Option<Proxy>,
  key: Option.Option<Redacted.Redacted<string>>,
  bucket: string,
  guard: ScopeGuardService | undefined
): HttpClient.HttpClient => {
  const { policy, record, secrets } = session
  const proxyId = Option.match(proxy, { onNone: () => null, onSome: (p) => p.id })
  const logged = loggedHttp(transport(ports.proxies, session, proxy, guard), record, secrets, () => proxyId)
  const token = takeToken(ports.limiter, bucket, policy.limit)
  const limited: HttpClient.HttpClient = {
    get: (url, options) => Effect.zipRight(token, logged.get(url, options)),
    post: (url, options) => Effect.zipRight(token, logged.post(url, options))
  }
  return cachedHttp(limited, ports.cache, {
    source: policy.source.id,
    ttlMs: policy.cacheTtlMs,
    credential: Option.match(key, { onNone: () => null, onSome: Redacted.value }),
    onHit: (url, options, response) =>
      record({
        method: "GET",
        url: stripSecrets(requestUrl(url, options), secrets),
        status: response.status,
        duration_ms: 0,
        bytes: Buffer.byteLength(response.body, "utf8"),
        cache_hit: true,
        error: null,
        proxy: null
      })
  })
}

/** Every DNS lookup, whichever module makes it, takes a token of the resolvers' one rate limit. */
const dnsClient = (limiter: RateLimiterService, settings: ExecutorSettings, timeoutMs: number) =>
  Effect.map(DnsClient.makeDnsClient(settings.endpoints.dnsServers, { timeoutMs }), (dns) => {
    const { limit, source } = dnsLimit(settings)
    return DnsClient.aroundLookups(dns, (lookup) => Effect.zipRight(takeToken(limiter, source, limit), lookup))
  })

/** The module's context for attempt `attempt`: a proxied task with no healthy proxy left fails it. */
export const open = (
  ports: SessionPorts,
  settings: ExecutorSettings,
  session: TaskSession,
  attempt: number
): Effect.Effect<AttemptContext, ModuleError.ModuleError> =>
  Effect.gen(function*() {
    const { module, secrets, task } = session
    const { bucket, key, label } = yield* chooseKey(ports, session)
    const proxy = session.proxied ? yield* ports.proxies.next : Option.none()
    if (session.proxied && Option.isNone(proxy)) {
      return yield* new ModuleError.SourceUnavailable({ reason: "no healthy proxy in the pool" })
    }
    const guard = settings.guard
    const log: ModuleContext.ModuleContext["log"] = (message, fields = {}) =>
      Effect.logDebug(scrub(message, secrets)).pipe(
        Effect.annotateLogs({ ...scrubFields(fields, secrets), module: module.id, attempt })
      )
    const ctx = yield* ModuleContext.makeModuleContext({
      module: module.id,
      endpoints: settings.endpoints,
      timeoutMs: task.timeout_ms,
      http: httpClient(ports, session, proxy, key, bucket, guard),
      dns: yield* dnsClient(ports.limiter, settings, task.timeout_ms),
      throttle: takeToken(ports.limiter, bucket, session.policy.limit),
      lists: { get: (key, load) => ports.lists.get(`${module.source.id} ${key}`, session.policy.cacheTtlMs, load) },
      log,
      ...(guard === undefined ? {} : { guard }),
      ...(Option.isSome(key) ? { credentials: key.value } : {})
    })
    return { ctx, key, label, bucket }
  })
