//! A server's CPU time and memory, read from `/proc` (Linux only, like the servers measured).

use std::fs;

/// utime + stime in clock ticks: fields 14 and 15 of `/proc/PID/stat`, counted after the `)` that
/// ends the command name (which may itself hold spaces and parentheses). All threads included.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state), so field 14 is index 11.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// `VmRSS` of `/proc/PID/status`, in bytes.
pub fn parse_vmrss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`; 100 on every Linux it has been asked).
pub fn clock_ticks() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// The process's CPU time so far, in milliseconds.
pub fn cpu_ms(pid: u32) -> crate::Result<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| format!("pid {pid}: {e}"))?;
    let ticks = parse_stat_ticks(&stat).ok_or_else(|| format!("pid {pid}: unreadable stat"))?;
    Ok(ticks as f64 * 1000.0 / clock_ticks())
}

/// The process's resident memory, in bytes.
pub fn rss(pid: u32) -> crate::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| format!("pid {pid}: {e}"))?;
    parse_vmrss(&status).ok_or_else(|| format!("pid {pid}: no VmRSS"))
}

/// Raises this process's open-files soft limit to its hard limit (servers spawned afterwards
/// inherit it) and returns the new soft limit.
pub fn raise_nofile() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit read and write the struct passed by pointer, nothing else.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return raised.rlim_cur;
            }
        }
    }
    lim.rlim_cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_ticks_after_a_name_with_spaces_and_parens() {
        let stat = "4242 (cep (bare) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 3 0 99 1 2";
        assert_eq!(parse_stat_ticks(stat), Some(325));
        assert_eq!(parse_stat_ticks("4242 (short) S 1 2"), None);
        assert_eq!(parse_stat_ticks("no paren"), None);
    }

    #[test]
    fn vmrss_in_bytes() {
        let status = "Name:\tcep-bare\nVmPeak:\t  9000 kB\nVmRSS:\t    5120 kB\nThreads:\t3\n";
        assert_eq!(parse_vmrss(status), Some(5120 * 1024));
        assert_eq!(parse_vmrss("Name:\tx\n"), None);
    }

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        assert!(rss(me).unwrap() > 0);
        assert!(cpu_ms(me).unwrap() >= 0.0);
        assert!(clock_ticks() > 0.0);
    }
}
