/**
 * The inventory in Postgres: `assets` rows per series, `asset_runs` the runs applied (each once, in order). Live
 * sightings arrive in multi-row upserts; a run's end and a retraction lock the series.
 */
import { entityKey, EntityType } from "@mirage/domain/Entity"
import { ScanId } from "@mirage/domain/Ids"
import { applyToSeries, AssetStatus, foldRuns, withoutRun } from "@mirage/domain/Inventory"
import type { AssetRecord, Run, RunApplication } from "@mirage/domain/Inventory"
import { Effect, Layer, Schema } from "effect"
import type postgres from "postgres"
import { attempt } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import type { Sql } from "../../platform/PgClient.js"
import { rowsDecoder } from "../../platform/Rows.js"
import { encodeAssetCursor, Inventory } from "./Inventory.js"
import type { Asset, LiveSighting, Series } from "./Inventory.js"

const Row = Schema.Struct({
  target_type: EntityType,
  target_value: Schema.String,
  type: EntityType,
  value: Schema.String,
  first_seen: Schema.Number,
  last_seen: Schema.Number,
  first_scan: ScanId,
  last_scan: ScanId,
  scans: Schema.Array(ScanId),
  status: AssetStatus,
  expires_at: Schema.NullOr(Schema.Number)
})

type Tx = Sql | postgres.TransactionSql<Record<string, never>>

const decodeRowsSync = Schema.decodeUnknownSync(Schema.Array(Row))

const decodeRows = rowsDecoder(Row)

const epochMs = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`
const columns = `target_type, target_value, type, value, ${epochMs("first_seen")} as first_seen,
  ${epochMs("last_seen")} as last_seen, first_scan, last_scan, scans, status, ${epochMs("expires_at")} as expires_at`

const record = ({ target_type: _t, target_value: _v, ...asset }: typeof Row.Type): AssetRecord => asset

// Every change of a series happens under this lock, so concurrent completions of its runs apply one at a time.
const lockSeries = (tx: Tx, series: Series) =>
  tx`select pg_advisory_xact_lock(hashtext(${`assets:${series.organization_id}:${series.target_type}:${series.target_value}`}))`

/** The series' assets (only those `scanId` saw, when given). */
const readSeries = (tx: Tx, series: Series, scanId?: ScanId) =>
  scanId === undefined
    ? tx.unsafe(
      `select ${columns} from assets where organization_id = $1 and target_type = $2 and target_value = $3`,
      [series.organization_id, series.target_type, series.target_value]
    )
    : tx.unsafe(
      `select ${columns} from assets where organization_id = $1 and target_type = $2 and target_value = $3
         and $4::uuid = any(scans)`,
      [series.organization_id, series.target_type, series.target_value, scanId]
    )

const byKey = (rows: ReadonlyArray<typeof Row.Type>): Map<string, AssetRecord> =>
  new Map(rows.map((row) => [entityKey(row), record(row)]))

/** When each run applied to the series completed. */
const runTimes = async (tx: Tx, series: Series) =>
  new Map(
    (await tx<Array<{ scan_id: ScanId; at: number }>>`
      select scan_id, (extract(epoch from at) * 1000)::float8 as at from asset_runs where organization_id = ${series.organization_id}
        and target_type = ${series.target_type} and target_value = ${series.target_value}`).map((row) => [
      row.scan_id,
      row.at
    ])
  )

/** The row a sighting goes to: its series, type and value. */
const rowKey = (sighting: LiveSighting): ReadonlyArray<string> => [
  sighting.series.organization_id,
  sighting.series.target_type,
  sighting.series.target_value,
  sighting.type,
  sighting.value
]

const compare = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  return 0
}

/**
 * Sightings split into rounds in which each asset appears once (one statement cannot update a row twice); the
 * sightings of one asset by one scan merge into the earliest, with the latest end of validity.
 */
const rounds = (sightings: ReadonlyArray<LiveSighting>): ReadonlyArray<ReadonlyArray<LiveSighting>> => {
  const merged = new Map<string, LiveSighting>()
  for (const sighting of sightings) {
    const { series } = sighting
    const key = [series.organization_id, series.target_type, series.target_value, sighting.scan_id, entityKey(sighting)]
      .join("\u0000")
    const known = merged.get(key)
    merged.set(
      key,
      known === undefined ? sighting : {
        ...known,
        at: Math.min(known.at, sighting.at),
        expires_at: known.expires_at === null || (sighting.expires_at ?? -Infinity) > known.expires_at
          ? sighting.expires_at ?? known.expires_at
          : known.expires_at
      }
    )
  }
  const result: Array<Array<LiveSighting>> = []
  const keys: Array<Set<string>> = []
  for (const sighting of merged.values()) {
    const key = rowKey(sighting).join("\u0000")
    const round = keys.findIndex((taken) => !taken.has(key))
    if (round === -1) {
      keys.push(new Set([key]))
      result.push([sighting])
    } else {
      keys[round]!.add(key)
      result[round]!.push(sighting)
    }
  }
  // In key order, so that two writers of the same assets wait on each other rather than deadlock.
  return result.map((round) => round.sort((a, b) => compare(rowKey(a), rowKey(b))))
}

/**
 * One round of sightings in one statement: a new asset is inserted `new`; a known one not yet seen by the scan gets
 * it (`recordSighting`). Sightings of scans that have ended are left out: their run's end has settled them.
 */
const recordRound = (sql: Sql, round: ReadonlyArray<LiveSighting>) =>
  sql`
    insert into assets as a (organization_id, target_type, target_value, type, value, first_seen, last_seen,
      first_scan, last_scan, scans, status, expires_at)
    select x.organization_id, x.target_type, x.target_value, x.type, x.value, to_timestamp(x.at / 1000.0),
      to_timestamp(x.at / 1000.0), x.scan_id, x.scan_id, array[x.scan_id], 'new', to_timestamp(x.expires_at / 1000.0)
    from jsonb_to_recordset(${
    sql.json(round.map((sighting) => ({
      organization_id: sighting.series.organization_id,
      target_type: sighting.series.target_type,
      target_value: sighting.series.target_value,
      scan_id: sighting.scan_id,
      type: sighting.type,
      value: sighting.value,
      at: sighting.at,
      expires_at: sighting.expires_at
    })) as never)
  }) as x(organization_id uuid, target_type text, target_value text, scan_id uuid, type text, value text,
      at float8, expires_at float8)
    join scans s on s.id = x.scan_id and s.status in ('CREATED', 'RUNNING', 'PAUSED')
    on conflict (organization_id, target_type, target_value, type, value) do update set
      last_seen = greatest(a.last_seen, excluded.last_seen), last_scan = excluded.last_scan,
      scans = a.scans || excluded.last_scan, expires_at = coalesce(excluded.expires_at, a.expires_at)
    where not (excluded.last_scan = any(a.scans))`

const writeAssets = (tx: Tx, series: Series, assets: ReadonlyArray<AssetRecord>) =>
  assets.length === 0 ? Promise.resolve([]) : tx`
    insert into assets (organization_id, target_type, target_value, type, value, first_seen, last_seen,
      first_scan, last_scan, scans, status, expires_at)
    select ${series.organization_id}, ${series.target_type}, ${series.target_value}, x.type, x.value,
      to_timestamp(x.first_seen / 1000.0), to_timestamp(x.last_seen / 1000.0), x.first_scan, x.last_scan, x.scans,
      x.status, to_timestamp(x.expires_at / 1000.0)
    from jsonb_to_recordset(${tx.json(assets as never)}) as x(type text, value text, first_seen float8,
      last_seen float8, first_scan uuid, last_scan uuid, scans uuid[], status text, expires_at float8)
    on conflict (organization_id, target_type, target_value, type, value) do update set
      first_seen = excluded.first_seen, last_seen = excluded.last_seen, first_scan = excluded.first_scan,
      last_scan = excluded.last_scan, scans = excluded.scans, status = excluded.status, expires_at = excluded.expires_at`

/** Applies a completed run to its series (once), to the assets as they were before its live sightings. */
const applyRunIn = async (tx: Tx, series: Series, run: Run): Promise<RunApplication> => {
  await lockSeries(tx, series)
  const stored = byKey(decodeRowsSync(await readSeries(tx, series)))
  const runs = await tx<Array<{ scan_id: ScanId; at: number }>>`
    select scan_id, (extract(epoch from at) * 1000)::float8 as at from asset_runs
    where organization_id = ${series.organization_id} and target_type = ${series.target_type}
      and target_value = ${series.target_value} order by at`
  const applied = applyToSeries(stored, runs, run)
  if (!applied.applied) return applied
  await tx`
    insert into asset_runs (organization_id, target_type, target_value, scan_id, at)
    values (${series.organization_id}, ${series.target_type}, ${series.target_value}, ${run.scan_id},
      to_timestamp(${run.at} / 1000.0))`
  if (applied.remove.length > 0) {
    const removed = applied.remove.map((key) => stored.get(key)!)
    await tx`delete from assets where organization_id = ${series.organization_id}
      and target_type = ${series.target_type} and target_value = ${series.target_value}
      and (type, value) in (select x.type, x.value
        from jsonb_to_recordset(${tx.json(removed as never)}) as x(type text, value text))`
  }
  await writeAssets(tx, series, applied.write)
  return applied
}

/** Takes back a scan's live sightings (unless it is a run applied to the series). */
const retractIn = async (tx: Tx, series: Series, scanId: ScanId) => {
  await lockSeries(tx, series)
  const times = await runTimes(tx, series)
  if (times.has(scanId)) return
  const rows = decodeRowsSync(await readSeries(tx, series, scanId))
  const kept = withoutRun(byKey(rows), scanId, (id) => times.get(id))
  await tx`delete from assets where organization_id = ${series.organization_id}
    and target_type = ${series.target_type} and target_value = ${series.target_value} and first_scan = ${scanId}`
  await writeAssets(tx, series, [...kept.values()])
}

export const make = Effect.gen(function*() {
  const sql = yield* PgClient

  return Inventory.of({
    record: (sightings) =>
      sightings.length === 0 ? Effect.void : Effect.forEach(
        rounds(sightings),
        (round) => attempt("record sightings", () => recordRound(sql, round)),
        { discard: true }
      ),
    retract: (series, scanId) =>
      attempt("retract a run's sightings", () => sql.begin((tx) => retractIn(tx, series, scanId))).pipe(Effect.asVoid),
    known: (series, scanId) =>
      attempt("read known assets", () =>
        sql<Array<{ type: EntityType; value: string }>>`
          select type, value from assets where organization_id = ${series.organization_id}
            and target_type = ${series.target_type} and target_value = ${series.target_value}
            and first_scan <> ${scanId}`).pipe(
          Effect.map((rows) => new Set(rows.map(entityKey)))
        ),
    applyRun: (series, run) => attempt("apply run to inventory", () => sql.begin((tx) => applyRunIn(tx, series, run))),
    replace: (series, runs) =>
      attempt("rebuild inventory", () =>
        sql.begin(async (tx) => {
          await lockSeries(tx, series)
          await tx`delete from assets where organization_id = ${series.organization_id}
            and target_type = ${series.target_type} and target_value = ${series.target_value}`
          await tx`delete from asset_runs where organization_id = ${series.organization_id}
            and target_type = ${series.target_type} and target_value = ${series.target_value}`
          await writeAssets(tx, series, [...foldRuns(runs).values()])
          for (const run of runs) {
            await tx`insert into asset_runs (organization_id, target_type, target_value, scan_id, at)
              values (${series.organization_id}, ${series.target_type}, ${series.target_value}, ${run.scan_id},
                to_timestamp(${run.at} / 1000.0))`
          }
        })).pipe(Effect.asVoid),
    assets: (series) =>
      attempt("read inventory", () => readSeries(sql, series)).pipe(
        Effect.flatMap(decodeRows("read inventory")),
        Effect.map((rows) => rows.map(record))
      ),
    list: (query) =>
      attempt("list assets", () => {
        const params: Array<string | number> = [query.organization_id]
        const where: Array<string> = ["organization_id = $1"]
        const add = (clause: (n: number) => string, value: string | number) => {
          params.push(value)
          where.push(clause(params.length))
        }
        if (query.target !== undefined) add((n) => `target_value = $${n}`, query.target)
        if (query.type !== undefined) add((n) => `type = $${n}`, query.type)
        if (query.status !== undefined) add((n) => `status = $${n}`, query.status)
        if (query.cursor !== undefined) {
          const [target, targetType, type, value] = query.cursor
          params.push(target, targetType, type, value)
          const n = params.length
          where.push(`(target_value, target_type, type, value) > ($${n - 3}, $${n - 2}, $${n - 1}, $${n})`)
        }
        params.push(query.limit + 1)
        return sql.unsafe(
          `select ${columns} from assets where ${where.join(" and ")}
           order by target_value, target_type, type, value limit $${params.length}`,
          params
        )
      }).pipe(
        Effect.flatMap(decodeRows("list assets")),
        Effect.map((rows) => {
          const items: Array<Asset> = rows.slice(0, query.limit)
          const last = items[items.length - 1]
          return {
            items,
            next_cursor: rows.length > query.limit && last !== undefined
              ? encodeAssetCursor([last.target_value, last.target_type, last.type, last.value])
              : null
          }
        })
      ),
    referencedScans: (organizationId) =>
      attempt("scans the inventory needs", () =>
        sql<Array<{ id: string }>>`
          select first_scan as id from assets where organization_id = ${organizationId}
          union select last_scan from assets where organization_id = ${organizationId}
          union select id from (select distinct on (target_type, target_value) scan_id as id from asset_runs
            where organization_id = ${organizationId} order by target_type, target_value, at desc) as latest`).pipe(
          Effect.map((rows) => new Set(rows.map((row) => ScanId.make(row.id))))
        )
  })
})

export const layer = Layer.effect(Inventory, make)
