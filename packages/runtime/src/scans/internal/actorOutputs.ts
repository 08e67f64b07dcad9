/**
 * Where a scan actor's outcomes go: its results to the result store (batched with other scans' by the node's
 * ResultWriter when there is one) and on to the live inventory, and its answers to the senders of the commands it
 * handled.
 */
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import type { ScanId } from "@mirage/domain/Ids"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Effect, Metric, Option } from "effect"
import { Replies } from "../../cluster/Replies.js"
import type { Reply } from "../../cluster/Replies.js"
import type { Envelope } from "../../cluster/ShardInbox.js"
import { Correlator, targetsOf } from "../../monitoring/correlation/Correlator.js"
import { seriesOf } from "../../monitoring/inventory/Inventory.js"
import { InventoryFeed } from "../../monitoring/inventory/InventoryFeed.js"
import * as Metrics from "../../platform/Metrics.js"
import * as Tracing from "../../platform/Tracing.js"
import { ResultStore } from "../ResultStore.js"
import { ResultWriter } from "../ResultWriter.js"

/**
 * Where the actor's results go: a node's ResultWriter batches those of all its scans into one insert. Once stored,
 * they go to the live inventory (when the node keeps one) and are correlated (when the node has a Correlator), the
 * findings stored as the scan's results too; a correlation failure is logged, never the scan's.
 */
export const resultSink = (scanId: ScanId, state: () => ScanState) =>
  Effect.gen(function*() {
    const results = yield* ResultStore
    // Without a writer, each batch inserts alone.
    const writer = yield* Effect.serviceOption(ResultWriter)
    const correlator = yield* Effect.serviceOption(Correlator)
    const feed = yield* Effect.serviceOption(InventoryFeed)
    const write = (stored: ReadonlyArray<CollectionResult>) =>
      (Option.isSome(writer) ? writer.value.write(scanId, stored) : Effect.asVoid(results.insert(scanId, stored))).pipe(
        Effect.zipRight(Option.isSome(feed) ? feed.value.offer(seriesOf(state()), scanId, stored) : Effect.void)
      )
    const correlate = (stored: ReadonlyArray<CollectionResult>) =>
      Option.isNone(correlator) ? Effect.void : correlator.value.observe(
        { scan_id: scanId, organization_id: state().header.organization_id, targets: targetsOf(state()) },
        stored
      ).pipe(
        Effect.flatMap((found) => found.length === 0 ? Effect.void : write(found)),
        Effect.catchAll((error) => Effect.logWarning("correlation failed", error))
      )
    return (stored: ReadonlyArray<CollectionResult>) =>
      write(stored).pipe(
        Effect.zipRight(Metric.incrementBy(Metrics.resultsStored, stored.length)),
        Effect.zipRight(correlate(stored))
      )
  })

/** Answers the sender once the command's outcome is persisted; traced in the scan, linked to the request. */
export const replier = (traceParent: Tracing.ScanRef) =>
  Effect.map(
    Replies,
    (replies) => (envelope: Envelope, outcome: Reply["outcome"], rejected: Reply["rejection"]) =>
      (envelope.reply_to === null
        ? Effect.void
        : replies.publish(envelope.reply_to, { command_id: envelope.command_id, outcome, rejection: rejected }).pipe(
          Effect.catchAll(() => Effect.void)
        )).pipe(Tracing.commandSpan(traceParent, envelope, outcome))
  )
