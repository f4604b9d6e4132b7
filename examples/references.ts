/**
 * Both directions on one connection: the server calls the client back, functions and
 * objects travel by reference, and streams flow both ways with backpressure.
 *
 * Run: node --import tsx examples/references.ts
 */
import { close, connect, context, ref, release, serve } from "../src/index.js";

class Account {
  #balance = 0;
  constructor(readonly owner: string) {}
  deposit(amount: number): number {
    return (this.#balance += amount);
  }
}

const listeners = new Set<(views: number) => unknown>();
let views = 0;

const api = {
  // The client exposes `progress`; the handler calls it over the same connection.
  async convert(file: string): Promise<string> {
    const client = context().remote<{ progress(pct: number): void }>();
    for (const pct of [25, 50, 75, 100]) await client.progress(pct);
    return `${file}.pdf`;
  },
  events: {
    // `listener` is a remote function; the returned function is one for the client.
    subscribe(listener: (views: number) => unknown) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        release(listener); // the client may forget the callback now
      };
    },
    async view(): Promise<void> {
      views++;
      await Promise.all([...listeners].map((l) => l(views)));
    },
  },
  // ref(): the client gets a remote object; the instance stays here.
  accounts: { open: (owner: string) => ref(new Account(owner)) },
  logs: {
    // An async generator streams; `break` on the client runs this `finally`.
    async *tail(app: string) {
      try {
        for (let i = 1; ; i++) yield `${app}: line ${i}`;
      } finally {
        console.log("server: tail stopped");
      }
    },
  },
  uploads: {
    // An AsyncIterable argument streams from the client, pulled as the server reads.
    async save(name: string, chunks: AsyncIterable<Uint8Array>): Promise<string> {
      let bytes = 0;
      for await (const chunk of chunks) bytes += chunk.length;
      return `${name}: ${bytes} bytes`;
    },
  },
};
export type Api = typeof api;

const server = await serve(api, { listen: "tcp://127.0.0.1:0" });
const remote = await connect<Api>(server.addresses[0]!, {
  expose: { progress: (pct: number) => console.log(`progress ${pct}%`) },
});

console.log("converted:", await remote.convert("report"));

const off = await remote.events.subscribe((n) => console.log("views", n));
await remote.events.view();
await remote.events.view();
await off();
await remote.events.view(); // nobody listens any more

{
  using account = await remote.accounts.open("alice"); // released at the end of the block
  await account.deposit(10);
  console.log("alice has", await account.deposit(5));
}

for await (const line of await remote.logs.tail("app")) {
  console.log(line);
  if (line.endsWith("3")) break;
}

async function* fileChunks() {
  for (let i = 0; i < 64; i++) yield new Uint8Array(1024);
}
console.log("uploaded", await remote.uploads.save("big.bin", fileChunks()));

await close(remote);
await server.close();
