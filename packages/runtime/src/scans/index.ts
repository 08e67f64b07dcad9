/**
 * Scans: the use cases, the actor that owns each scan, and what is kept of it.
 *
 * ScanService holds the scan use cases behind the API (create, commands, queries); ScanActor is the fiber that owns
 * one scan's state machine (the pure transitions live in the domain package) and DeadlineTimers its timeouts. Its
 * events go to the EventStore through the Journal (group commit, fenced by the shard's epoch) and its results to the
 * ResultStore through the ResultWriter. Around it: chaining of dependent scans (Chaining), per-organization quotas
 * (Quotas), templates (Templates, TemplateService), what happens after each stored batch (ScanObserver,
 * Orchestration, Notifications, Webhooks, ProgressFeed) and the read model the gateway answers from (ScanReadModel).
 */
export * as Chaining from "./Chaining.js"
export * as DeadlineTimers from "./DeadlineTimers.js"
export * as EventStore from "./EventStore.js"
export * as Journal from "./Journal.js"
export * as Notifications from "./Notifications.js"
export * as Orchestration from "./Orchestration.js"
export * as ProgressFeed from "./ProgressFeed.js"
export * as Quotas from "./Quotas.js"
export * as ResultStore from "./ResultStore.js"
export * as ResultWriter from "./ResultWriter.js"
export * as ScanActor from "./ScanActor.js"
export * as ScanObserver from "./ScanObserver.js"
export * as ScanReadModel from "./ScanReadModel.js"
export * as ScanService from "./ScanService.js"
export * as Templates from "./Templates.js"
export * as TemplateService from "./TemplateService.js"
export * as Webhooks from "./Webhooks.js"
