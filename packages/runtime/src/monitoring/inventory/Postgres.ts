/** The inventory in Postgres: `assets` rows per series, `asset_runs` the runs applied (each once, in order). */
import { EntityType } from "@mirage/domain/Entity"
import { ScanId } from "@mirage/domain/Ids"
import { applyRun, AssetStatus, foldRuns } from "@mirage/domain/Inventory"
import type { AssetRecord } from "@mirage/domain/Inventory"
import { Effect, Layer, Schema } from "effect"
import type postgres from "postgres"
import { PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import type { Sql } from "../../platform/PgClient.js"
import { assetKey, encodeAssetCursor, Inventory } from "./Inventory.js"
import type { Asset, Series } from "./Inventory.js"

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

const decodeRows = (operation: string) => (rows: ReadonlyArray<unknown>) =>
  Effect.mapError(Schema.decodeUnknown(Schema.Array(Row))(rows), (cause) => new PersistenceError({ operation, cause }))

const epochMs = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`
const columns = `target_type, target_value, type, value, ${epochMs("first_seen")} as first_seen,
  ${epochMs("last_seen")} as last_seen, first_scan, last_scan, scans, status, ${epochMs("expires_at")} as expires_at`

const record = ({ target_type: _t, target_value: _v, ...asset }: typeof Row.Type): AssetRecord => asset

// Every change of a series happens under this lock, so concurrent completions of its runs apply one at a time.
const lockSeries = (tx: Tx, series: Series) =>
  tx`select pg_advisory_xact_lock(hashtext(${`assets:${series.organization_id}:${series.target_type}:${series.target_value}`}))`

const readSeries = (tx: Tx, series: Series) =>
  tx.unsafe(
    `select ${columns} from assets where organization_id = $1 and target_type = $2 and target_value = $3`,
    [series.organization_id, series.target_type, series.target_value]
  )

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

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  const attempt = <A>(operation: string, run: () => PromiseLike<A>) =>
    Effect.tryPromise({
      try: () => Promise.resolve(run()),
      catch: (cause) => new PersistenceError({ operation, cause })
    })

  return Inventory.of({
    applyRun: (series, run) =>
      attempt("apply run to inventory", () =>
        sql.begin(async (tx) => {
          await lockSeries(tx, series)
          const before = new Map(
            decodeRowsSync(await readSeries(tx, series)).map((row) => [assetKey(row), record(row)])
          )
          const runs = await tx<Array<{ scan_id: string }>>`
            select scan_id from asset_runs where organization_id = ${series.organization_id}
              and target_type = ${series.target_type} and target_value = ${series.target_value} order by at`
          if (runs.some((row) => row.scan_id === run.scan_id)) {
            // Applied before: the run before it saw what this run still saw, and what went with this run.
            const index = runs.findIndex((row) => row.scan_id === run.scan_id)
            const prior = runs[index - 1]?.scan_id
            const previous = prior === undefined ? null : new Set(
              [...before.values()].filter((asset) =>
                asset.last_scan === run.scan_id
                  ? asset.status === "present"
                  : asset.status === "gone" && asset.last_scan === prior
              ).map(assetKey)
            )
            return { applied: false, previous, assets: [...before.values()] }
          }
          const previous = runs.length === 0
            ? null
            : new Set([...before.values()].filter((asset) => asset.status !== "gone").map(assetKey))
          const after = applyRun(before, run)
          await tx`
            insert into asset_runs (organization_id, target_type, target_value, scan_id, at)
            values (${series.organization_id}, ${series.target_type}, ${series.target_value}, ${run.scan_id},
              to_timestamp(${run.at} / 1000.0))`
          await writeAssets(tx, series, [...after.values()].filter((asset) => before.get(assetKey(asset)) !== asset))
          return { applied: true, previous, assets: [...after.values()] }
        })),
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
