export const config = {
  apiKey: "⟦key⟧",
  authToken: process.env.AUTH_TOKEN,
  sessionSecret:
    "⟦key⟧",
};

const longToken =
  "⟦tok⟧" +
  "⟦tok⟧";
