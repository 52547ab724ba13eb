/** A failure the producer reports to the user with a clear message (exit code 1, no stack). */
export class ProducerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProducerError';
  }
}
