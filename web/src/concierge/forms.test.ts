import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { NEW_CHANNEL, botValues, fillTemplate, kindLabel, formatDuration, itemFields, lines, listError, nextPeriod, toBotSettings, toChannelInput } from "./forms";

const SETTINGS = {
  bot_enabled: true,
  persona: "",
  prompt: "",
  language: "en",
  greeting: "",
  history_turns: 10,
  sentiment_threshold: -0.6,
  max_unanswered: 2,
  hours: [{ day: "mon", open: "09:00", close: "18:00" }],
  holidays: ["2026-01-26"],
  csat_enabled: false,
  rate_limit_per_minute: 20,
  retention_days: 365,
};

describe("lines", () => {
  it("keeps the non-empty lines, trimmed", () => {
    expect(lines(" https://a.example \n\n https://b.example\r\n  ")).toEqual(["https://a.example", "https://b.example"]);
    expect(lines("")).toEqual([]);
  });

  it("names each item as the server does, and shows its message after its value", () => {
    expect(itemFields("hours", 2)).toEqual(["hours[0]", "hours[1]"]);
    const errors = { "allowed_origins[1]": "must be an origin like https://shop.example" };
    expect(listError(errors, "allowed_origins", ["https://a.example", "shop.example"])).toBe("shop.example: must be an origin like https://shop.example");
    expect(listError({}, "allowed_origins", ["x"])).toBeUndefined();
  });
});

describe("channels", () => {
  it("sends a web channel's sites and look, and nothing of Meta's", () => {
    const input = toChannelInput({ ...NEW_CHANNEL, name: " Website ", allowed_origins: "https://shop.example\n", title: "Help", external_id: "123", app_secret: "ignored-secret" });
    expect(input).toEqual({
      kind: "web",
      name: "Website",
      enabled: true,
      allowed_origins: ["https://shop.example"],
      widget: { title: "Help", welcome: null, color: "#2563eb" },
    });
  });

  it("leaves out secrets left empty, so the stored ones are kept", () => {
    const input = toChannelInput({ ...NEW_CHANNEL, kind: "whatsapp", name: "Support", external_id: " 1234567890 ", access_token: "EAAG-token" });
    expect(input).toEqual({ kind: "whatsapp", name: "Support", enabled: true, external_id: "1234567890", api_base_url: null, verify_token: null, access_token: "EAAG-token" });
    expect("app_secret" in input).toBe(false);
  });
});

describe("bot settings", () => {
  it("round-trips the server's settings", () => {
    expect(toBotSettings(botValues(SETTINGS))).toEqual(SETTINGS);
  });

  it("sends times as HH:MM", () => {
    const v = { ...botValues(SETTINGS), hours: [{ day: "tue", open: "09:30:00", close: "17:00" }] };
    expect(toBotSettings(v).hours).toEqual([{ day: "tue", open: "09:30", close: "17:00" }]);
  });

  it("names the fields that are not numbers or dates", () => {
    const v = { ...botValues(SETTINGS), retention_days: "a year", sentiment_threshold: "low", holidays: ["2026-01-26", ""] };
    try {
      toBotSettings(v);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).fields()).toEqual({
        sentiment_threshold: "Give a number from -1 to 1, such as -0.6.",
        "holidays[1]": "Choose a date.",
        retention_days: "Give a whole number.",
      });
    }
  });

  it("adds the next day's hours", () => {
    expect(nextPeriod([])).toEqual({ day: "mon", open: "09:00", close: "18:00" });
    expect(nextPeriod([{ day: "fri", open: "10:00", close: "16:00" }])).toEqual({ day: "sat", open: "10:00", close: "16:00" });
    expect(nextPeriod([{ day: "sun", open: "10:00", close: "16:00" }]).day).toBe("mon");
  });
});

describe("formatDuration", () => {
  it("says a time as people do", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(0.2)).toBe("under 1 s");
    expect(formatDuration(4.2)).toBe("4 s");
    expect(formatDuration(150)).toBe("3 min");
    expect(formatDuration(3600)).toBe("1 h");
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe("3 h 5 min");
    expect(formatDuration(2 * 86400 + 4 * 3600)).toBe("2 d 4 h");
    expect(formatDuration(86400)).toBe("1 d");
  });
});

describe("templates", () => {
  it("fills the variables in order, leaving those without a value", () => {
    expect(fillTemplate("Hi {{1}}, your order {{2}} has shipped.", ["Asha", " 1042 "])).toBe("Hi Asha, your order 1042 has shipped.");
    expect(fillTemplate("Hi {{1}}, your order {{2}} has shipped.", ["Asha"])).toBe("Hi Asha, your order {{2}} has shipped.");
  });

  it("names channel kinds", () => {
    expect(kindLabel("whatsapp")).toBe("WhatsApp");
    expect(kindLabel("web")).toBe("Web chat");
    expect(kindLabel("sms")).toBe("sms");
  });
});
