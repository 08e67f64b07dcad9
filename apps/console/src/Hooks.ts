/** Loading and polling API reads from components. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks"
import { ApiError, messageOf } from "./Api.js"

export interface Loaded<A> {
  readonly data: A | undefined
  readonly error: string | undefined
  readonly reload: () => void
}

/** Runs `load` when `deps` change, and every `everyMs` while `poll` says so. */
export const useLoad = <A>(
  load: () => Promise<A>,
  deps: ReadonlyArray<unknown>,
  options: { readonly everyMs?: number; readonly poll?: (data: A | undefined) => boolean } = {}
): Loaded<A> => {
  const [data, setData] = useState<A | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [tick, setTick] = useState(0)
  const latest = useRef(data)
  latest.current = data
  const reload = useCallback(() => setTick((n) => n + 1), [])
  useEffect(() => {
    let live = true
    load().then(
      (value) => {
        if (!live) return
        setData(value)
        setError(undefined)
      },
      (cause: unknown) => {
        // A poll refused for the request rate keeps what it showed: the next poll asks again.
        if (cause instanceof ApiError && cause.status === 429 && latest.current !== undefined) return
        if (live) setError(messageOf(cause))
      }
    )
    return () => {
      live = false
    }
  }, [...deps, tick])
  useEffect(() => {
    if (options.everyMs === undefined) return
    const timer = setInterval(() => {
      if (document.visibilityState === "visible" && (options.poll?.(latest.current) ?? true)) reload()
    }, options.everyMs)
    return () => clearInterval(timer)
  }, [options.everyMs, ...deps])
  return { data, error, reload }
}
