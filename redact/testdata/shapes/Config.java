package shop;

public class Config {
    private static final String API_TOKEN = "⟦tok⟧";

    DataSource dataSource() {
        HikariDataSource ds = new HikariDataSource();
        ds.setUsername("app");
        ds.setPassword("⟦pw⟧");
        System.setProperty("mail.smtp.password", "⟦pw⟧");
        return ds;
    }

    String fromEnv() {
        return System.getenv("DB_PASSWORD");
    }
}
