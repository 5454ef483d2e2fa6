// Browser client for the Zephyrine payments API.
export interface Charge {
  orderId: string;
  cents: number;
}

export async function postCharge(charge: Charge): Promise<Response> {
  return fetch("/api/zephyrine/charge", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(charge),
  });
}
