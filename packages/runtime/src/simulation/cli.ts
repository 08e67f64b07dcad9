/**
 * `npm run simulate -- --seeds N [--from S] [--preset full|quick|found]` runs N seeds (S, S+1, ...); `--seed S`
 * replays one with its trace. Says how far it is every 250 seeds, ends with `simulate: N passed, F failed` and exits 1
 * when a seed failed.
 */
import { Effect, TestContext } from "effect"
import * as Simulation from "./Simulation.js"

const flag = (name: string): number | undefined => {
  const args = process.argv.slice(2)
  const i = args.indexOf(`--${name}`)
  if (i < 0) return undefined
  const value = Number(args[i + 1])
  return Number.isInteger(value) ? value : undefined
}

const presetArg = (): Simulation.Preset => {
  const args = process.argv.slice(2)
  const value = args[args.indexOf("--preset") + 1]
  return args.includes("--preset") && (value === "quick" || value === "found") ? value : "full"
}

const main = Effect.gen(function*() {
  const preset = presetArg()
  const single = flag("seed")
  const from = single ?? flag("from") ?? 1
  const count = single === undefined ? (flag("seeds") ?? 100) : 1
  let passed = 0
  let failed = 0
  // The live clock, held from the start: providing a seed its test clock changes the clock this fiber sees.
  const clock = yield* Effect.clock
  const started = yield* clock.currentTimeMillis
  for (let seed = from; seed < from + count; seed++) {
    const report = yield* Simulation.run(seed, Simulation.presets[preset]).pipe(Effect.provide(TestContext.TestContext))
    if (report.violations.length === 0) {
      passed++
      if (single !== undefined) yield* Effect.sync(() => console.log(Simulation.describe(report)))
    } else {
      failed++
      yield* Effect.sync(() => {
        console.log(Simulation.describe(report))
        console.log(`replay: npm run simulate -- --seed ${seed}${preset === "full" ? "" : ` --preset ${preset}`}`)
      })
    }
    // Long runs say how far they are.
    const done = seed - from + 1
    if (done % 250 === 0 && done < count) {
      yield* Effect.sync(() => console.log(`simulate: ${done} of ${count} seeds run (up to ${seed}), ${failed} failed`))
    }
  }
  const seconds = (((yield* clock.currentTimeMillis) - started) / 1000).toFixed(1)
  yield* Effect.sync(() => {
    console.log(`(${count} seeds in ${seconds}s)`)
    console.log(`simulate: ${passed} passed, ${failed} failed`)
  })
  return failed
})

Effect.runPromise(main).then(
  (failed) => {
    process.exitCode = failed > 0 ? 1 : 0
  },
  (error: unknown) => {
    console.error(error)
    process.exitCode = 1
  }
)
