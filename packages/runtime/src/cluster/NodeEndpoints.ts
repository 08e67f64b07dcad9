/**
 * A node's own small HTTP server on MIRAGE_METRICS_PORT: `/health` (liveness), `/ready` (stores
 * reachable and the node owns the shards rendezvous gives it), `/metrics` (Prometheus) and
 * `/dead-letters` (the commands its shards gave up on) and `/config` (the effective value of every setting the node
 * reads, secrets redacted). An operators' port: not the tenants' API.
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { problemContentType, problemType } from "@mirage/domain/api/Errors"
import { Config, Duration, Effect, Either, Metric, Option, Schema } from "effect"
import { createStartingServer } from "../platform/HttpListener.js"
import * as Metrics from "../platform/Metrics.js"
import type { MongoDatabase } from "../platform/MongoDatabase.js"
import type { PgClient } from "../platform/PgClient.js"
import type { RedisClient } from "../platform/RedisClient.js"
import * as Setting from "../platform/Setting.js"
import { shardsOf } from "./Assignment.js"
import { Membership } from "./Membership.js"
import * as Readiness from "./Readiness.js"
import * as Settings from "./Settings.js"
import { Envelope, ShardInbox } from "./ShardInbox.js"

export const NodeEndpointsConfig = Config.all({
  port: Settings.metricsPort,
  readyTimeoutMs: Config.map(Settings.readyTimeout, Duration.toMillis)
})

/** What the endpoints read of a running node (`Node.run`'s answer has it). */
export interface NodeView {
  readonly id: string
  readonly host: { readonly owned: () => ReadonlyArray<number> }
}

/** Whether the node owns exactly the shards rendezvous assigns it among the live members, or is the only one. */
export const ownsItsShards = (node: NodeView) =>
  Effect.gen(function*() {
    const membership = yield* Membership
    const inbox = yield* ShardInbox
    const members = yield* membership.members
    const all = members.includes(node.id) ? members : [...members, node.id]
    const owned = new Set(node.host.owned())
    if (all.length === 1) return { name: "shards", ok: true, detail: null }
    const desired = shardsOf(node.id, all, inbox.shards)
    const ok = desired.length === owned.size && desired.every((shard) => owned.has(shard))
    return {
      name: "shards",
      ok,
      detail: ok ? null : `owns ${owned.size} of the ${desired.length} shards assigned to it`
    }
  }).pipe(Effect.catchAll((error) => Effect.succeed({ name: "shards", ok: false, detail: error.message })))

/** Sets the node's gauges that are read rather than counted: shards owned, and the inboxes of those shards. */
export const refreshGauges = (node: NodeView, reported: Set<number>) =>
  Effect.gen(function*() {
    const inbox = yield* ShardInbox
    const owned = node.host.owned()
    yield* Metric.set(Metrics.tagged(Metrics.shardsOwned, { node: node.id }), owned.length)
    // Shards this node no longer owns read 0 here: their new owner reports them.
    for (const shard of reported) {
      if (!owned.includes(shard)) {
        yield* Metric.set(Metrics.tagged(Metrics.streamPending, { shard: String(shard) }), 0)
        yield* Metric.set(Metrics.tagged(Metrics.streamLag, { shard: String(shard) }), 0)
        reported.delete(shard)
      }
    }
    yield* Effect.forEach(owned, (shard) =>
      inbox.pending(shard).pipe(
        Effect.timeout("1 second"),
        Effect.flatMap(({ lag, pending }) =>
          Effect.zipRight(
            Metric.set(Metrics.tagged(Metrics.streamPending, { shard: String(shard) }), pending),
            Metric.set(Metrics.tagged(Metrics.streamLag, { shard: String(shard) }), lag)
          )
        ),
        Effect.tap(() => Effect.sync(() => reported.add(shard))),
        Effect.ignore
      ), { concurrency: 8, discard: true })
  })

const decodeEnvelope = Schema.decodeUnknownOption(Schema.parseJson(Envelope))

/** The dead letters of the shards the node owns, newest first, at most `limit`; what each command was, when decodable. */
export const deadLetterList = (node: NodeView, limit: number) =>
  Effect.gen(function*() {
    const inbox = yield* ShardInbox
    const perShard = yield* Effect.forEach(node.host.owned(), (shard) => inbox.deadLetters(shard, limit), {
      concurrency: 8
    })
    const newest = perShard.flat().sort((a, b) => b.at - a.at).slice(0, limit)
    return {
      node: node.id,
      items: newest.map((letter) => {
        const envelope = decodeEnvelope(letter.raw)
        return {
          shard: letter.shard,
          id: letter.id,
          at: new Date(letter.at).toISOString(),
          reason: letter.reason,
          deliveries: letter.deliveries,
          scan_id: Option.match(envelope, { onNone: () => null, onSome: (e) => e.target }),
          command: Option.match(envelope, { onNone: () => null, onSome: (e) => e.command._tag }),
          command_id: Option.match(envelope, { onNone: () => null, onSome: (e) => e.command_id })
        }
      })
    }
  })

const DeadLetterQuery = Schema.Struct({
  limit: Schema.optionalWith(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 500)), {
    default: () => 50
  })
})

/** The endpoints of a node as an HTTP app. */
export const app = (node: NodeView, readyTimeoutMs: number) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<PgClient | RedisClient | MongoDatabase | Membership | ShardInbox>()
    const reported = new Set<number>()
    const ready = Effect.gen(function*() {
      const [stores, shards] = yield* Effect.all([Readiness.stores(readyTimeoutMs), ownsItsShards(node)], {
        concurrency: "unbounded"
      })
      const answer = Readiness.answer([...stores, shards])
      return HttpServerResponse.unsafeJson(answer.body, { status: answer.status, contentType: answer.contentType })
    })
    const metrics = Effect.zipRight(
      refreshGauges(node, reported),
      Effect.map(Metrics.exposition, (text) => HttpServerResponse.text(text, { contentType: Metrics.contentType }))
    )
    const deadLetters = Effect.gen(function*() {
      const query = yield* HttpServerRequest.schemaSearchParams(DeadLetterQuery).pipe(Effect.option)
      if (Option.isNone(query)) {
        return HttpServerResponse.unsafeJson({
          type: problemType("bad-request"),
          title: "Bad request",
          status: 400,
          detail: "limit must be an integer from 1 to 500"
        }, { status: 400, contentType: problemContentType })
      }
      const list = yield* deadLetterList(node, query.value.limit).pipe(Effect.provide(context), Effect.either)
      return Either.match(list, {
        onLeft: (error) =>
          HttpServerResponse.unsafeJson({
            type: problemType("unavailable"),
            title: "Dead letters unavailable",
            status: 503,
            detail: error.message
          }, { status: 503, contentType: problemContentType }),
        onRight: (body) => HttpServerResponse.unsafeJson(body)
      })
    })
    return HttpRouter.empty.pipe(
      HttpRouter.get("/health", HttpServerResponse.unsafeJson({ status: "ok", node: node.id })),
      HttpRouter.get("/ready", Effect.provide(ready, context)),
      HttpRouter.get("/metrics", Effect.provide(metrics, context)),
      HttpRouter.get("/dead-letters", deadLetters),
      HttpRouter.get(
        "/config",
        Effect.map(Setting.effective, (settings) => HttpServerResponse.unsafeJson({ node: node.id, settings }))
      )
    )
  })

/** Serves the endpoints on `port` (0: a free one) until the Scope closes; answers the port bound. */
export const serve = (node: NodeView, options: { readonly port: number; readonly readyTimeoutMs: number }) =>
  Effect.gen(function*() {
    const router = yield* app(node, options.readyTimeoutMs)
    const server = yield* NodeHttpServer.make(createStartingServer, { port: options.port })
    yield* server.serve(router)
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : options.port
    yield* Effect.annotateLogs(Effect.logInfo("node endpoints listening"), { port })
    return { port }
  })

/** `serve` with MIRAGE_METRICS_PORT. */
export const serveFromConfig = (node: NodeView) => Effect.flatMap(NodeEndpointsConfig, (config) => serve(node, config))
