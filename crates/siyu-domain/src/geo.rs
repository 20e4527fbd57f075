//! Distances on the Earth's surface, for store geofences.

/// Great-circle distance in metres between two WGS-84 points (haversine, mean Earth radius).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::distance_m;

    #[test]
    fn known_distances() {
        assert!(distance_m(31.82, 117.22, 31.82, 117.22) < 1e-6);
        // One degree of latitude is about 111.2 km.
        let d = distance_m(31.0, 117.0, 32.0, 117.0);
        assert!((d - 111_195.0).abs() < 50.0, "{d}");
        // 合肥 to 杭州, about 330 km.
        let d = distance_m(31.8206, 117.2272, 30.2741, 120.1551);
        assert!((320_000.0..340_000.0).contains(&d), "{d}");
    }
}
