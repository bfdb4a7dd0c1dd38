/** TCP ports the reference deployment listens on (DESIGN.md table); hosts publish them on 127.0.0.1. */
export const STACK_PORTS: readonly number[] = [3000, 8000, 5432, 6379, 9090, 3001, 9093];

/** toxiproxy's HTTP API on the host in chaos mode: faults are injected through it. */
export const TOXIPROXY_API_PORT = 8474;

/** Every port the harness reaches on a host it makes: the deployment's and toxiproxy's API. */
export const HOST_PORTS: readonly number[] = [...STACK_PORTS, TOXIPROXY_API_PORT];
