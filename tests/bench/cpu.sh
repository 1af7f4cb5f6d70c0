# cpu.sh — CPU accounting shared by the benchmark scripts (sourced by
# run.sh and pages.sh): the machine has 2 cores shared with wrk, and a busy
# neighbour or time stolen by the host shows in the figures.

# cpu_snap: aggregate CPU counters of /proc/stat in ticks, "busy steal
# total" (busy excludes idle, iowait and steal).
cpu_snap() {
  awk '/^cpu /{t=0; for(i=2;i<=9;i++) t+=$i; print t-$5-$6-$9, $9, t}' /proc/stat
}

# steal_pct BEFORE AFTER: time stolen by the host, in % of all CPU time in between.
steal_pct() {
  awk -v a="$1" -v b="$2" 'BEGIN{split(a,x," "); split(b,y," "); d=y[3]-x[3]; printf "%.1f", (d > 0 ? 100 * (y[2] - x[2]) / d : 0)}'
}
