function handler(event) {
  return { ok: true };
}
module.exports = { handler };
