/**
 * Collection: running modules against data sources, politely and safely.
 *
 * A task is one module on one entity (TaskExecutor, the port). ModuleExecutor is the real executor: it opens a
 * module with a context whose HTTP and DNS clients take the source's global rate limit (RateLimiter: where a module's
 * rate limit is taken), use the request cache (RequestCache), keys in turn (Credentials, refused ones parked for
 * every node by KeyParking), forward proxies (ProxyPool) and the scope and SSRF guard on every address
 * (ScopeGuard), and it writes the collection log
 * (CollectionLog); its parts (task, module session, source policy, trail, settings) are in ModuleExecutor/. TaskPool
 * and TaskSlots bound how many tasks run per node and per organization. The runtime reaches the modules only through
 * ModuleCatalog (and ModuleListing over it) and the SDK of `@mirage/modules`' entry; CollectService (its parts in
 * CollectService/), JobStore and JobOptions are the standalone `/collect` jobs.
 */
export * as CollectionLog from "./CollectionLog.js"
export * as CollectService from "./CollectService.js"
export * as Credentials from "./Credentials.js"
export * as JobOptions from "./JobOptions.js"
export * as JobStore from "./JobStore.js"
export * as KeyParking from "./KeyParking.js"
export * as ModuleCatalog from "./ModuleCatalog.js"
export * as ModuleExecutor from "./ModuleExecutor.js"
export * as ModuleListing from "./ModuleListing.js"
export * as ProxyPool from "./ProxyPool.js"
export * as RateLimiter from "./RateLimiter.js"
export * as RequestCache from "./RequestCache.js"
export * as ScopeGuard from "./ScopeGuard.js"
export * as TaskExecutor from "./TaskExecutor.js"
export * as TaskPool from "./TaskPool.js"
export * as TaskSlots from "./TaskSlots.js"
