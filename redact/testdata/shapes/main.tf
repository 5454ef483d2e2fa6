variable "db_password" {
  type    = string
  default = "⟦pw⟧"
}

resource "aws_db_instance" "main" {
  username = "admin"
  password = var.db_password
}

resource "kubernetes_secret" "app" {
  data = {
    api_token = "⟦tok⟧"
  }
}
