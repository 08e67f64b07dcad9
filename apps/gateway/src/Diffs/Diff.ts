/** GET /scans/{id}/diff: what a run found that another did not, and the reverse, from both runs' results. */
import { NotFound } from "@mirage/domain/api/Errors"
import type { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { diffRuns } from "@mirage/domain/Inventory"
import { completedRuns, sightingsOf } from "@mirage/runtime/monitoring/inventory/Runs"
import { ScanReadModel } from "@mirage/runtime/scans/ScanReadModel"
import { DateTime, Effect, Option } from "effect"

const scanOf = (organizationId: OrganizationId, id: ScanId) =>
  Effect.flatMap(ScanReadModel, (scans) => scans.get(organizationId, id)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new NotFound({ detail: `no scan ${id}` })),
      onSome: (view) => Effect.succeed(view.scan)
    }))
  )

/** The diff of scan `id` against `previous` (the run of its series that completed before it) or another scan. */
export const diff = (organizationId: OrganizationId, id: ScanId, against: "previous" | ScanId) =>
  Effect.gen(function*() {
    const scan = yield* scanOf(organizationId, id)
    let other: ScanId | null
    if (against === "previous") {
      const until = scan.completed_at === null ? Number.POSITIVE_INFINITY : DateTime.toEpochMillis(scan.completed_at)
      const runs = yield* completedRuns({
        organization_id: organizationId,
        target_type: scan.target.type,
        target_value: scan.target.value
      })
      other = runs.filter((run) => run.id !== id && run.at < until).at(-1)?.id ?? null
    } else {
      other = (yield* scanOf(organizationId, against)).id
    }
    const current = yield* sightingsOf(id)
    const previous = other === null ? null : { scan_id: other, entities: yield* sightingsOf(other) }
    return diffRuns({ scan_id: id, entities: current }, previous)
  })
