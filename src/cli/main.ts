export async function main (argv: string[]): Promise<void> { console.log('hello', argv, process.version) }
