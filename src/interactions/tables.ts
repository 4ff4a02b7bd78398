export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_start: Date;
  locked_until: Date | null;
}

export interface InteractionsTables {
  login_throttle: LoginThrottleTable;
}
