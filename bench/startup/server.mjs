// The W4 counter server for the start-up measurement, from a built farcall (the dist folder
// given as argv[2]): prints its port, exits when its stdin closes.
const { serve } = await import(`${process.argv[2]}/index.js`);
const counts = new Map();
const api = {
  counter: {
    get: (key) => counts.get(key) ?? 0,
    inc: (key) => void counts.set(key, (counts.get(key) ?? 0) + 1),
  },
};
const server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: "bench" });
console.log(server.addresses[0].slice(server.addresses[0].lastIndexOf(":") + 1));
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
