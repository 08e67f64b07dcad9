/**
 * The API bench's load generator in a process of its own: takes one job at a time from its parent and answers with
 * what it measured. See `Load.ts`.
 */
import * as Load from "./Load.js"

process.on("message", (job: Load.Job) => {
  void Load.run(job).then((measured) => process.send?.(measured))
})
process.on("disconnect", () => process.exit(0))
