// Moved to src/reputation/ (its own part); kept so existing imports keep working until the merge.
export * from '../reputation/index.ts'
