/** TCP ports the reference deployment listens on (DESIGN.md table); hosts publish them on 127.0.0.1. */
export const STACK_PORTS: readonly number[] = [3000, 8000, 5432, 6379, 9090, 3001, 9093];
