/**
 * A scan's results read page by page (`GET /scans/{id}/results?cursor=&limit=`): the table fills as pages arrive,
 * the first page shows at once. While the scan runs, each time its result count moves the pages are read again and
 * only the results not yet held are appended (result ids are not in time order, so a new result can fall on any
 * page); a pass stops as soon as it holds as many results as the scan counts.
 */
import { useEffect, useRef, useState } from "preact/hooks"
import type { ResultJson, ResultPageJson } from "./Api.js"
import { ApiError, call, messageOf, query } from "./Api.js"

export const pageSize = 200

/**
 * One page; a 429 (the key's request rate, shared with the page's other reads) waits as long as the answer says
 * and asks again.
 */
const pageOf = async (path: string, live: () => boolean): Promise<ResultPageJson> => {
  for (;;) {
    try {
      return await call<ResultPageJson>(path)
    } catch (cause) {
      if (!(cause instanceof ApiError) || cause.status !== 429 || !live()) throw cause
      await new Promise((resume) => setTimeout(resume, 1000))
    }
  }
}

/** How long to wait before showing more rows: the table sorts what it shows, so bigger sets are redrawn less often. */
const commitEvery = (held: number) => Math.max(250, held / 100)

export interface ResultsFeed {
  readonly results: ReadonlyArray<ResultJson>
  /** A pass is reading pages. */
  readonly loading: boolean
  /** The pages read since the page opened (for the curious, and the tests). */
  readonly pages: number
  readonly error: string | undefined
}

export const useResults = (id: string, resultCount: number | undefined): ResultsFeed => {
  const [results, setResults] = useState<ReadonlyArray<ResultJson>>([])
  const [loading, setLoading] = useState(true)
  const [pages, setPages] = useState(0)
  const [error, setError] = useState<string | undefined>(undefined)
  const held = useRef({ rows: [] as Array<ResultJson>, ids: new Set<string>() })
  // `resume`: where the last pass stopped short of the end (it held as many as the scan counted then), to go on from.
  // `read`: the count a pass that read to the last page was asked for: the pages are read again only for a higher one.
  const pass = useRef<
    { running: boolean; wanted: number; lastEnd: number; resume: string | null; read: number }
  >({ running: false, wanted: -1, lastEnd: 0, resume: null, read: -1 })
  const [trigger, setTrigger] = useState(0)

  // The runner comes first: in the render that bumps `trigger` it marks the pass running before the scheduler looks.
  useEffect(() => {
    if (trigger === 0 || pass.current.running) return
    let live = true
    const state = pass.current
    state.running = true
    state.wanted = resultCount ?? 0
    setLoading(true)
    let lastCommit = 0
    const commit = (force: boolean) => {
      const now = performance.now()
      if (!force && lastCommit !== 0 && now - lastCommit < commitEvery(held.current.rows.length)) return
      lastCommit = now
      setResults(held.current.rows.slice())
    }
    const run = async () => {
      let cursor: string | null | undefined = state.resume ?? undefined
      state.resume = null
      do {
        const page: ResultPageJson = await pageOf(
          `/scans/${id}/results${query({ limit: pageSize, cursor })}`,
          () => live
        )
        if (!live) return
        for (const result of page.items) {
          if (held.current.ids.has(result.id)) continue
          held.current.ids.add(result.id)
          held.current.rows.push(result)
        }
        setPages((n) => n + 1)
        commit(false)
        cursor = page.next_cursor
      } while (cursor !== null && held.current.rows.length < state.wanted)
      state.resume = cursor ?? null
      if (cursor === null) state.read = state.wanted
    }
    run().then(
      () => setError(undefined),
      (cause: unknown) => live && setError(messageOf(cause))
    ).finally(() => {
      state.running = false
      state.lastEnd = Date.now()
      if (!live) return
      commit(true)
      setLoading(false)
    })
    return () => {
      live = false
      state.running = false
    }
  }, [id, trigger])

  // The count moved past what is held: another pass, once the running one ended and not too soon after it.
  useEffect(() => {
    if (resultCount === undefined) return
    const state = pass.current
    if (state.running || (state.wanted >= 0 && resultCount <= held.current.rows.length)) return
    if (state.resume === null && resultCount <= state.read) return
    // Going on from where a pass stopped short is at once; reading every page again waits a while.
    const gap = state.resume !== null ? 0 : Math.max(2000, held.current.rows.length / 20)
    const wait = state.wanted < 0 ? 0 : Math.max(0, gap - (Date.now() - state.lastEnd))
    const timer = setTimeout(() => setTrigger((n) => n + 1), wait)
    return () => clearTimeout(timer)
  }, [resultCount, trigger === 0, loading])

  return { results, loading, pages, error }
}
