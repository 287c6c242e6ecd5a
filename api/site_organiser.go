package api

import "github.com/gin-gonic/gin"

func (st *site) organiserRoutes(g *gin.RouterGroup) {}
